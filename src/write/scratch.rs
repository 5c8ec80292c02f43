//! Where a small workbook's constant-memory sheets keep their rows while it
//! is written. rust_xlsxwriter writes each such sheet's XML to a temporary
//! file and reads it back when it saves; for the hundreds of feedback
//! workbooks of a month with findings that is ~0.5 MB each, and on a disk
//! file system every one of those files costs a journalled create, block
//! reservations and page zeroing (README “性能”). On Linux, `/dev/shm`
//! (memory) holds them when it has room to spare; elsewhere, and when it
//! has not, the system's temporary folder does.
//!
//! Only for workbooks whose size is bounded by one return (a few MB at
//! most): the county workbook's hundreds of MB stay on disk, where they do
//! not count against memory.

use rust_xlsxwriter::Workbook;

/// Free space `/dev/shm` must have for a workbook's rows to go there: room
/// for a few hundred workbooks written at once, so that a small or busy
/// `/dev/shm` (64 MB in a default container) is left alone.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const SHM_MIN_FREE: u64 = 256 << 20;

/// Point `wb`'s temporary files at memory where that is safe; otherwise
/// leave them in the system's temporary folder.
pub(crate) fn use_memory_if_roomy(wb: &mut Workbook) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let shm = std::path::Path::new("/dev/shm");
        if free_bytes(shm).is_some_and(|free| free >= SHM_MIN_FREE) {
            // set_tempdir tries a file there first and keeps the old
            // folder when it cannot make one.
            let _ = wb.set_tempdir(shm);
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = wb;
}

/// Bytes an unprivileged writer may still use in the file system of `dir`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a valid C string and `st` a plain struct statvfs fills.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_bavail as u64 * st.f_frsize as u64)
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    #[test]
    fn free_bytes_of_a_folder_that_is_not_there_is_none() {
        assert_eq!(free_bytes(std::path::Path::new("/没有这个文件夹")), None);
    }

    #[test]
    fn where_the_rows_wait_does_not_change_the_workbook() {
        // A fixed date: by default a workbook is dated when it is made,
        // and two made a second apart would differ in that alone.
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 6, 1).unwrap();
        let props = rust_xlsxwriter::DocProperties::new().set_creation_datetime(&date);
        let build = |memory: bool| {
            let mut wb = Workbook::new();
            wb.set_properties(&props);
            if memory {
                use_memory_if_roomy(&mut wb);
            }
            let ws = wb.add_worksheet_with_constant_memory().unwrap();
            for r in 0..2000u32 {
                ws.write_string(r, 0, format!("第{r}行")).unwrap();
                ws.write_number(r, 1, f64::from(r) * 1.5).unwrap();
            }
            wb.save_to_buffer().unwrap()
        };
        let on_disk = build(false);
        assert_eq!(build(true), on_disk);
        assert!(on_disk.len() > 10_000, "{} bytes", on_disk.len());
    }
}
