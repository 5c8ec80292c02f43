//! xlsb: the binary parts calamine reads, streamed record by record (a
//! varint type, a varint length), only the head of each record kept: the
//! shared-string counts, the sheets, and the rows and cells of every
//! worksheet against the file's limits.

use super::le_u32;
use super::limits::{Budget, MAX_SHEETS, MAX_SST_ENTRIES, MIN_XLSB_SI_BYTES};
use super::refusal::{Damage, Refusal};
use super::xml::RelsSink;
use super::zip::Zip;
use crate::policy::Limits;
use std::io::{self, BufReader, Read};

/// Receives the records of one XLSB part: `head` holds the first
/// `head_len(typ)` bytes of the record (the rest is skipped unread).
trait BinSink {
    fn head_len(&self, _typ: u16) -> usize {
        0
    }
    fn record(&mut self, typ: u16, len: u64, head: &[u8]) -> Result<(), Refusal>;
}

struct NoopBin;
impl BinSink for NoopBin {
    fn record(&mut self, _: u16, _: u64, _: &[u8]) -> Result<(), Refusal> {
        Ok(())
    }
}

fn read_u8<R: Read>(r: &mut R) -> io::Result<Option<u8>> {
    let mut b = [0u8];
    loop {
        match r.read(&mut b) {
            Ok(0) => return Ok(None),
            Ok(_) => return Ok(Some(b[0])),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

impl Zip<'_> {
    /// Stream one XLSB part record by record (varint type, varint length).
    fn scan_bin(&mut self, idx: usize, sink: &mut dyn BinSink) -> Result<(), Refusal> {
        let declared = self.sizes[idx];
        let Some(counted) = self.open_part(idx, u64::MAX)? else {
            return Ok(());
        };
        let mut r = BufReader::new(counted);
        let mut head = Vec::new();
        let outcome: Result<Result<(), Refusal>, io::Error> = (|| loop {
            let Some(b) = read_u8(&mut r)? else {
                return Ok(Ok(()));
            };
            let typ = if b & 0x80 != 0 {
                let Some(b2) = read_u8(&mut r)? else {
                    return Ok(Ok(()));
                };
                u16::from(b & 0x7F) | (u16::from(b2 & 0x7F) << 7)
            } else {
                u16::from(b)
            };
            let mut len = 0u64;
            for i in 0..4 {
                let Some(b) = read_u8(&mut r)? else {
                    return Ok(Ok(()));
                };
                len |= u64::from(b & 0x7F) << (7 * i);
                if b & 0x80 == 0 {
                    break;
                }
            }
            if len > declared {
                return Ok(Err(Damage::RecordTooLong.into()));
            }
            let want = (sink.head_len(typ) as u64).min(len) as usize;
            head.resize(want, 0);
            match r.read_exact(&mut head) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(Ok(())),
                Err(e) => return Err(e),
            }
            io::copy(&mut (&mut r).take(len - want as u64), &mut io::sink())?;
            if let Err(f) = sink.record(typ, len, &head) {
                return Ok(Err(f));
            }
        })();
        let (total, tripped) = (r.get_ref().total, r.get_ref().tripped);
        drop(r);
        self.inflated += total;
        match outcome {
            Ok(res) => res,
            Err(e) => Err(self.read_failure(idx, tripped, Some(&e))),
        }
    }
}

/// `xl/sharedStrings.bin`: BrtBeginSst counts, BrtSSTItem lengths.
struct SstBin {
    declared: u64,
    lens: Vec<u32>,
}

impl BinSink for SstBin {
    fn head_len(&self, typ: u16) -> usize {
        match typ {
            0x009F => 8,
            0x0013 => 5,
            _ => 0,
        }
    }
    fn record(&mut self, typ: u16, len: u64, head: &[u8]) -> Result<(), Refusal> {
        match typ {
            0x009F => {
                let unique = u64::from(le_u32(head, 4).unwrap_or(0));
                if unique > MAX_SST_ENTRIES || unique > self.declared / MIN_XLSB_SI_BYTES + 16 {
                    return Err(Refusal::SharedStringCount(unique));
                }
            }
            0x0013 => {
                let cch = u64::from(le_u32(head, 1).unwrap_or(0));
                let cch = cch.min(len.saturating_sub(5) / 2);
                self.lens.push((cch * 3).min(u64::from(u32::MAX)) as u32);
                if self.lens.len() as u64 > MAX_SST_ENTRIES {
                    return Err(Refusal::SharedStringCount(self.lens.len() as u64));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// `xl/workbook.bin`: BrtBundleSh (sheet name and relationship id).
#[derive(Default)]
struct WorkbookBin {
    sheets: Vec<(String, Option<String>)>,
}

fn wide_str(b: &[u8], at: usize) -> (Option<String>, usize) {
    let Some(cch) = le_u32(b, at) else {
        return (None, b.len());
    };
    if cch == u32::MAX {
        return (None, at + 4);
    }
    let end = (at + 4).saturating_add(cch as usize * 2).min(b.len());
    let units: Vec<u16> = b[(at + 4).min(end)..end]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    (Some(String::from_utf16_lossy(&units)), end)
}

impl BinSink for WorkbookBin {
    fn head_len(&self, typ: u16) -> usize {
        if typ == 0x009C {
            4096
        } else {
            0
        }
    }
    fn record(&mut self, typ: u16, _len: u64, head: &[u8]) -> Result<(), Refusal> {
        if typ == 0x009C {
            let (rel, next) = wide_str(head, 8);
            let (name, _) = wide_str(head, next);
            let name = name.unwrap_or_else(|| format!("第{}个工作表", self.sheets.len() + 1));
            self.sheets.push((name, rel));
            if self.sheets.len() > MAX_SHEETS {
                return Err(Refusal::TooManySheets);
            }
        }
        Ok(())
    }
}

/// An XLSB worksheet: rows with values, cells, shared-string clones.
struct SheetBin<'s> {
    name: &'s str,
    sst: &'s [u32],
    max_rows: u64,
    budget: &'s mut Budget,
    row: Option<u32>,
    row_content: bool,
    rows: u64,
}

impl SheetBin<'_> {
    fn close_row(&mut self) -> Result<(), Refusal> {
        if self.row.is_some() && self.row_content {
            self.rows += 1;
            if self.rows > self.max_rows {
                return Err(Refusal::TooManyRows {
                    sheet: self.name.to_string(),
                    max_rows: self.max_rows,
                });
            }
        }
        self.row_content = false;
        Ok(())
    }
}

impl BinSink for SheetBin<'_> {
    fn head_len(&self, typ: u16) -> usize {
        match typ {
            0x0000 => 4,
            0x0002..=0x000B => 12,
            _ => 0,
        }
    }
    fn record(&mut self, typ: u16, _len: u64, head: &[u8]) -> Result<(), Refusal> {
        match typ {
            // BrtRowHdr
            0x0000 => {
                self.close_row()?;
                self.row = Some(le_u32(head, 0).unwrap_or(0));
            }
            // BrtCellRk … BrtFmlaError: a cell with a value (0x0001 is blank).
            0x0002..=0x000B => {
                self.row_content = true;
                if self.row.is_none() {
                    self.row = Some(0);
                }
                self.budget.cells(1)?;
                if typ == 0x0007 {
                    let i = le_u32(head, 8).unwrap_or(u32::MAX) as usize;
                    let n = self.sst.get(i).copied().unwrap_or(0);
                    self.budget.text(u64::from(n))?;
                }
            }
            // BrtEndSheetData
            0x0092 => self.close_row()?,
            _ => {}
        }
        Ok(())
    }
}

pub(super) fn scan_xlsb(
    z: &mut Zip<'_>,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<(), Refusal> {
    // calamine `Xlsb::new` (xlsb/mod.rs:522-548): fixed part names.
    let mut sst = Vec::new();
    if let Some(i) = z.find("xl/sharedStrings.bin") {
        let mut s = SstBin {
            declared: z.sizes[i],
            lens: Vec::new(),
        };
        z.scan_bin(i, &mut s)?;
        sst = s.lens;
    }
    if let Some(i) = z.find("xl/styles.bin") {
        z.scan_bin(i, &mut NoopBin)?;
    }
    let mut rels = RelsSink::default();
    if let Some(i) = z.find("xl/_rels/workbook.bin.rels") {
        z.scan_xml(i, true, &mut rels)?;
    }
    let wb_idx = z
        .find("xl/workbook.bin")
        .ok_or_else(|| Damage::MissingWorkbook("xl/workbook.bin".to_string()))?;
    let mut wb = WorkbookBin::default();
    z.scan_bin(wb_idx, &mut wb)?;
    for (sheet, rel) in &wb.sheets {
        let Some(rel) = rel else { continue };
        let target = rels
            .get(rel)
            .ok_or_else(|| Damage::SheetWithoutPart(sheet.clone()))?;
        let path = format!("xl/{}", target.target);
        match path.split('/').nth(1) {
            Some("worksheets") | Some("dialogsheets") => {}
            Some("chartsheets") => continue,
            _ => return Err(Damage::SheetKindUnknown(sheet.clone()).into()),
        }
        let idx = z.find(&path).ok_or_else(|| Damage::MissingSheetPart {
            sheet: sheet.clone(),
            path: path.clone(),
        })?;
        let mut s = SheetBin {
            name: sheet,
            sst: &sst,
            max_rows: limits.max_rows,
            budget: &mut *budget,
            row: None,
            row_content: false,
            rows: 0,
        };
        z.scan_bin(idx, &mut s)?;
        s.close_row()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::kit::*;
    use super::super::{prescan, Format};
    use crate::finding::Code;
    use crate::read::workbook;

    #[test]
    fn small_xlsb_is_accepted_and_opens() {
        let b = xlsb(
            &[brt_row(0), brt_real(0, 7.0), brt_row(2), brt_real(1, 8.5)],
            None,
        );
        assert_eq!(prescan("白砂镇.xlsb", &b, &limits()), Ok(Format::Xlsb));
        let wb = workbook::open(&b, Format::Xlsb, &limits()).unwrap();
        assert_eq!(
            wb.sheets[0].get(2, 1),
            Some(&workbook::CellValue::Number(8.5))
        );
    }

    #[test]
    fn xlsb_hostile_records() {
        let rows: Vec<Vec<u8>> = (0..5001u32)
            .flat_map(|r| [brt_row(r), brt_real(0, 1.0)])
            .collect();
        rejects("白砂镇.xlsb", &xlsb(&rows, None), Code::S06, "超过 5000 行");
        // A record claiming more bytes than its part holds.
        let mut lie = vec![0x05u8, 0xFF, 0xFF, 0xFF, 0x7F];
        lie.extend([0u8; 16]);
        rejects(
            "白砂镇.xlsb",
            &xlsb(&[brt_row(0), lie], None),
            Code::S01,
            "记录长度",
        );
        let mut sst = Vec::new();
        sst.extend(1u32.to_le_bytes());
        sst.extend(1_000_000_000u32.to_le_bytes());
        let sst = brt(0x009F, &sst);
        rejects(
            "白砂镇.xlsb",
            &xlsb(&[], Some(sst)),
            Code::S06,
            "共享字符串",
        );
    }
}
