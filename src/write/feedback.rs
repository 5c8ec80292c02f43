//! The feedback workbook: the township's own return with every finding cell
//! filled and noted, and a first sheet 校验结果 linking to each cell.
