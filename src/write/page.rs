//! How every sheet prints (`outputs.md` "Presentation of every workbook the
//! tool writes"): A4, landscape for a wide table and portrait for a narrow
//! one, scaled to the page width (汇总: to one page), the header row and the
//! title rows above it repeated on every page, the workbook's title in the
//! page header and `第 N 页 共 M 页` in the footer. Declared per sheet by a
//! [`Page`]; this is the one place that sets it up.

use rust_xlsxwriter::{Worksheet, XlsxError};

/// Excel's paper size code for A4.
const A4: u8 = 9;

/// Column widths (in characters) that a portrait A4 page takes at about
/// 90 %: a table no wider prints portrait, more rows to a page.
const PORTRAIT_WIDTH: f64 = 110.0;

/// Excel's limit on a page header or footer, control codes included.
const MAX_HEADER: usize = 255;

/// How one sheet prints.
pub(crate) struct Page<'a> {
    /// The workbook's title, in the page header.
    pub(crate) title: &'a str,
    /// The sum of the sheet's column widths, in characters: wider than a
    /// portrait page prints landscape.
    pub(crate) width: f64,
    /// Rows repeated at the top of every page (title rows and the header
    /// row), if any.
    pub(crate) repeat: Option<(u32, u32)>,
    /// Scale the whole sheet onto one page (汇总), not only its width.
    pub(crate) one_page: bool,
}

impl Page<'_> {
    /// Set up `ws` to print as declared.
    pub(crate) fn set_up(&self, ws: &mut Worksheet) -> Result<(), XlsxError> {
        ws.set_paper_size(A4);
        if self.width > PORTRAIT_WIDTH {
            ws.set_landscape();
        } else {
            ws.set_portrait();
        }
        ws.set_print_fit_to_pages(1, if self.one_page { 1 } else { 0 });
        ws.set_print_center_horizontally(true);
        if let Some((first, last)) = self.repeat {
            ws.set_repeat_rows(first, last)?;
        }
        ws.set_header(header_text(self.title));
        ws.set_footer("&C第 &P 页 共 &N 页");
        Ok(())
    }
}

/// `&C<title>&R<sheet name>`, the title's `&` escaped, cut to Excel's limit.
fn header_text(title: &str) -> String {
    let mut title = title.replace('&', "&&");
    let room = MAX_HEADER - "&C&R&A".len();
    while title.len() > room {
        title.pop();
    }
    format!("&C{title}&R&A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_the_title_and_the_sheet() {
        assert_eq!(header_text("示范县2024年6月"), "&C示范县2024年6月&R&A");
        assert_eq!(header_text("A&B"), "&CA&&B&R&A");
        assert!(header_text(&"长".repeat(200)).len() <= MAX_HEADER);
    }
}
