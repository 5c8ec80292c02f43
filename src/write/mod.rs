//! Writers, one per workbook, plus the shared styles and the atomic save.

pub mod atomic;
pub mod feedback;
pub mod style;
pub mod template;
