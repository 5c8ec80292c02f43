//! Reading a return: pre-scan, calamine into sparse sheets, then the typed
//! rows of the schema with the cell-level findings (V rules) found on the way.

pub mod normalise;
pub mod prescan;
pub mod workbook;
