//! Files saved by real office software: LibreOffice's .xlsx, .xls and .ods
//! of a clean return (tests/fixtures/lo/make.sh) read without a finding.

use crate::common::{project, stdout, Workdir};

fn check_clean(fixture: &str) {
    let w = Workdir::new();
    let path = project(&format!("tests/fixtures/lo/{fixture}"));
    let roster = project("samples/示范县/roster.xlsx");
    let o = w.run(&[
        "check",
        path.to_str().unwrap(),
        "--period",
        "2024-06",
        "--roster",
        roster.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(stdout(&o), "", "{fixture} should read cleanly");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn libreoffice_resaved_xlsx_reads_cleanly() {
    check_clean("lo_resaved.xlsx");
}

#[test]
fn libreoffice_xls_reads_cleanly() {
    check_clean("lo_saved.xls");
}

#[test]
fn libreoffice_ods_reads_cleanly() {
    check_clean("lo_saved.ods");
}
