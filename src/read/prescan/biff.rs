//! .xls: the BIFF workbook stream walked as calamine's `xls.rs` walks it —
//! globals, then each worksheet substream — bounding the grids, shared
//! strings, CONTINUE chains and formula text calamine would build, and
//! refusing records it would read past their end.

use super::limits::{
    Budget, MAX_CONTINUE_RECORDS, MAX_DENSE_CELLS, MAX_SHEETS, MAX_SST_ENTRIES, MIN_XLS_SI_BYTES,
};
use super::refusal::{Damage, Refusal};
use super::{le_u16, le_u32};
use crate::policy::Limits;
use std::collections::HashMap;

struct BiffRec<'a> {
    typ: u16,
    data: &'a [u8],
    cont: Vec<&'a [u8]>,
}

/// calamine's `RecordIter` (xls.rs:1383): a record and its CONTINUEs.
struct BiffIter<'a> {
    s: &'a [u8],
}

impl<'a> Iterator for BiffIter<'a> {
    type Item = Result<BiffRec<'a>, Refusal>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.s.len() < 4 {
            return (!self.s.is_empty()).then(|| Err(Damage::BiffRecordCut.into()));
        }
        let typ = u16::from_le_bytes([self.s[0], self.s[1]]);
        let len = u16::from_le_bytes([self.s[2], self.s[3]]) as usize;
        if self.s.len() < len + 4 {
            return Some(Err(Damage::BiffRecordCut.into()));
        }
        let data = &self.s[4..4 + len];
        self.s = &self.s[4 + len..];
        let mut cont = Vec::new();
        while self.s.len() > 4 && u16::from_le_bytes([self.s[0], self.s[1]]) == 0x003C {
            let len = u16::from_le_bytes([self.s[2], self.s[3]]) as usize;
            if self.s.len() < len + 4 {
                return Some(Err(Damage::BiffRecordCut.into()));
            }
            cont.push(&self.s[4..4 + len]);
            self.s = &self.s[4 + len..];
            if cont.len() > MAX_CONTINUE_RECORDS {
                return Some(Err(Refusal::TooManyContinues));
            }
        }
        Some(Ok(BiffRec { typ, data, cont }))
    }
}

/// calamine's `Record` cursor over a record and its CONTINUEs.
struct BiffCur<'r, 'a> {
    data: &'a [u8],
    cont: &'r [&'a [u8]],
}

impl BiffCur<'_, '_> {
    fn next_cont(&mut self) -> bool {
        match self.cont.split_first() {
            Some((first, rest)) => {
                self.data = first;
                self.cont = rest;
                true
            }
            None => false,
        }
    }
    fn skip(&mut self, mut n: usize) -> bool {
        while n > 0 {
            if self.data.is_empty() && !self.next_cont() {
                return false;
            }
            let l = n.min(self.data.len());
            self.data = &self.data[l..];
            n -= l;
        }
        true
    }
}

/// The SST's counts against its size, and each string's UTF-8 length
/// bound, walking the strings as calamine's `parse_sst` does (xls.rs:1160).
fn biff_sst(rec: &BiffRec<'_>) -> Result<Vec<u32>, Refusal> {
    if rec.data.len() < 8 {
        return Ok(Vec::new());
    }
    let unique = u64::from(le_u32(rec.data, 4).unwrap_or(0));
    let bytes = rec.data.len() as u64 + rec.cont.iter().map(|c| c.len() as u64).sum::<u64>();
    if unique > MAX_SST_ENTRIES || unique > bytes / MIN_XLS_SI_BYTES + 16 {
        return Err(Refusal::SharedStringCount(unique));
    }
    let mut cur = BiffCur {
        data: &rec.data[8..],
        cont: &rec.cont,
    };
    let mut lens = Vec::new();
    'strings: while !cur.data.is_empty() || cur.next_cont() {
        if cur.data.is_empty() {
            lens.push(0);
            continue;
        }
        if cur.data.len() < 3 {
            break;
        }
        let cch = u16::from_le_bytes([cur.data[0], cur.data[1]]) as usize;
        let flags = cur.data[2];
        cur.data = &cur.data[3..];
        let mut runs = 0;
        let mut ext = 0;
        if flags & 0x8 != 0 {
            let Some(n) = le_u16(cur.data, 0) else { break };
            runs = n as usize;
            cur.data = &cur.data[2..];
        }
        if flags & 0x4 != 0 {
            let Some(n) = le_u32(cur.data, 0) else { break };
            ext = n as i32 as usize;
            cur.data = &cur.data[4..];
        }
        let mut left = cch;
        let mut high = flags & 1 != 0;
        loop {
            let l = if high {
                (cur.data.len() / 2).min(left)
            } else {
                cur.data.len().min(left)
            };
            cur.data = &cur.data[l * if high { 2 } else { 1 }..];
            left -= l;
            if left == 0 {
                break;
            }
            if !cur.next_cont() || cur.data.is_empty() {
                break 'strings;
            }
            high = cur.data[0] & 1 != 0;
            cur.data = &cur.data[1..];
        }
        if !cur.skip(runs * 4) || !cur.skip(ext) {
            break;
        }
        lens.push(cch as u32 * 3);
        if lens.len() as u64 > MAX_SST_ENTRIES {
            return Err(Refusal::SharedStringCount(lens.len() as u64));
        }
    }
    Ok(lens)
}

/// Upper bounds of the text calamine's `parse_formula` (xls.rs:1519) makes
/// from one formula's tokens, and of the bytes it moves doing so.
fn formula_cost(rgce: &[u8], biff8: bool, name_max: u64, sheet_max: u64) -> (u64, u64) {
    let mut i = 0;
    let mut out = 0u64;
    let mut work = 0u64;
    while i < rgce.len() {
        let ptg = rgce[i];
        i += 1;
        let at = |k: usize| rgce.get(i + k).copied();
        let (adv, add, inserts) = match ptg {
            0x3a | 0x5a | 0x7a => (6, sheet_max + 16, 0),
            0x3b | 0x5b | 0x7b => (10, sheet_max + 32, 0),
            0x3c | 0x5c | 0x7c => (6, sheet_max + 8, 0),
            0x3d | 0x5d | 0x7d => (10, sheet_max + 8, 0),
            0x01 => (4, 0, 0),
            0x03..=0x11 => (0, 2, 0),
            0x12 | 0x13 | 0x15 => (0, 2, 1),
            0x14 => (0, 1, 0),
            0x16 => (0, 0, 0),
            0x17 => {
                let Some(cch) = at(0) else { break };
                let cch = cch as usize;
                let chars = if biff8 {
                    let Some(flags) = at(1) else { break };
                    1 + if flags & 1 != 0 { 2 * cch } else { cch }
                } else {
                    cch
                };
                (1 + chars, cch as u64 * 3 + 2, 0)
            }
            0x18 => (5, 0, 0),
            0x19 => match at(0) {
                Some(0x01 | 0x02 | 0x08 | 0x20 | 0x21) => (3, 0, 0),
                Some(0x04) => {
                    let (Some(a), Some(b)) = (at(1), at(2)) else {
                        break;
                    };
                    let n = u16::from_le_bytes([a, b]) as usize + 1;
                    (3 + 2 * n, 0, 0)
                }
                Some(0x10) => (3, 5, 0),
                Some(0x40 | 0x41) => {
                    let Some(cch) = at(2) else { break };
                    (3, u64::from(cch), u64::from(cch))
                }
                _ => break,
            },
            0x1C => (1, 13, 0),
            0x1D => (1, 5, 0),
            0x1E => (2, 5, 0),
            0x1F => (8, 24, 0),
            0x20 | 0x40 | 0x60 => (7, 10, 0),
            0x21 | 0x41 | 0x61 => (2, 40, 0),
            0x22 | 0x42 | 0x62 => (3, 40 + 255, 0),
            0x23 | 0x43 | 0x63 => (4, name_max.max(5), 0),
            0x24 | 0x44 | 0x64 => (if biff8 { 4 } else { 3 }, 12, 0),
            0x25 | 0x45 | 0x65 => (if biff8 { 8 } else { 6 }, 24, 0),
            0x2A | 0x4A | 0x6A => (if biff8 { 4 } else { 3 }, 5, 0),
            0x2B | 0x4B | 0x6B => (if biff8 { 8 } else { 6 }, 5, 0),
            0x39 | 0x59 => (6, 10, 0),
            _ => break,
        };
        out += add;
        work = work.saturating_add(out.saturating_mul(1 + inserts));
        i += adv;
    }
    (out, work)
}

/// Would calamine's `parse_formula` (xls.rs:1519-1925) read past the end
/// of this formula? It slices the token stream without checking and
/// panics. `data` is a FORMULA record from offset 20: `cce`, then `rgce`.
/// Where calamine returns an error instead (unknown token, short string,
/// bad function index) it stops there, so the rest is not looked at;
/// operand-stack errors are not modelled, so a formula that is already
/// broken there may be refused a little early.
fn formula_overruns(data: &[u8], biff8: bool) -> bool {
    let Some(cce) = le_u16(data, 0) else {
        return true;
    };
    let Some(rgce) = data.get(2..2 + cce as usize) else {
        return true;
    };
    let mut i = 0;
    while i < rgce.len() {
        let ptg = rgce[i];
        i += 1;
        let left = rgce.len() - i;
        let at = |k: usize| rgce.get(i + k).copied();
        let need = match ptg {
            0x3a | 0x5a | 0x7a | 0x3c | 0x5c | 0x7c | 0x39 | 0x59 => 6,
            0x3b | 0x5b | 0x7b | 0x3d | 0x5d | 0x7d => 10,
            // PtgExp checks its length; PtgStr reads checked.
            0x01 if left < 4 => return false,
            0x01 => 4,
            0x17 => return false,
            0x03..=0x16 => 0,
            0x18 => 5,
            0x19 => match at(0) {
                None => return true,
                Some(0x01 | 0x02 | 0x08 | 0x20 | 0x21 | 0x10 | 0x40 | 0x41) => 3,
                Some(0x04) => match (at(1), at(2)) {
                    (Some(a), Some(b)) => 3 + 2 * (u16::from_le_bytes([a, b]) as usize + 1),
                    _ => return true,
                },
                Some(_) => return false,
            },
            0x1C | 0x1D => 1,
            0x1E | 0x21 | 0x41 | 0x61 => 2,
            0x1F => 8,
            0x20 | 0x40 | 0x60 => 7,
            0x22 | 0x42 | 0x62 => 3,
            // A name index of 0 underflows (`iname - 1`, xls.rs:1818).
            0x23 | 0x43 | 0x63 if left >= 4 && rgce[i..i + 4] == [0, 0, 0, 0] => return true,
            0x23 | 0x43 | 0x63 => 4,
            0x24 | 0x44 | 0x64 | 0x2A | 0x4A | 0x6A => {
                if biff8 {
                    4
                } else {
                    3
                }
            }
            0x25 | 0x45 | 0x65 | 0x2B | 0x4B | 0x6B => {
                if biff8 {
                    8
                } else {
                    6
                }
            }
            _ => return false,
        };
        if left < need {
            return true;
        }
        i += need;
    }
    false
}

#[derive(Clone, Copy, Default)]
struct BiffSheet {
    rows: u64,
    cells: u64,
    text: u64,
    work: u64,
    dense: (u64, u64),
}

struct BiffCtx<'s> {
    sst: &'s [u32],
    biff8: bool,
    name_max: u64,
    sheet_max: u64,
}

/// One worksheet substream, walked as calamine's `parse_workbook` does
/// (xls.rs:632-722): nested substreams skipped, every record that becomes a
/// cell bounds the grid.
fn biff_sheet(
    s: &[u8],
    name: &str,
    ctx: &BiffCtx<'_>,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<BiffSheet, Refusal> {
    let mut out = BiffSheet::default();
    let mut rows = vec![0u64; 65536 / 64];
    let (mut rmin, mut rmax, mut cmin, mut cmax) = (u32::MAX, 0u32, u32::MAX, 0u32);
    let mut fmla = (0u32, 0u32);
    let mut seen_bof = false;
    let mut depth = 0usize;
    let mut cell =
        |r: u32, c: u32, out: &mut BiffSheet, budget: &mut Budget| -> Result<(), Refusal> {
            rmin = rmin.min(r);
            rmax = rmax.max(r);
            cmin = cmin.min(c);
            cmax = cmax.max(c);
            let w = &mut rows[(r as usize & 0xFFFF) / 64];
            let bit = 1u64 << (r % 64);
            if *w & bit == 0 {
                *w |= bit;
                out.rows += 1;
                if out.rows > limits.max_rows {
                    return Err(Refusal::TooManyRows {
                        sheet: name.to_string(),
                        max_rows: limits.max_rows,
                    });
                }
            }
            out.cells += 1;
            budget.cells(1)
        };
    let rc = |d: &[u8]| -> Option<(u32, u32)> {
        Some((u32::from(le_u16(d, 0)?), u32::from(le_u16(d, 2)?)))
    };
    for rec in (BiffIter { s }) {
        let rec = rec?;
        if depth > 0 {
            match rec.typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        let d = rec.data;
        match rec.typ {
            // MergeCells: calamine reads `count` 8-byte ranges unchecked
            // (`parse_merge_cells`, xls.rs:949).
            0x00E5 if le_u16(d, 0).is_none_or(|n| 2 + 8 * n as usize > d.len()) => {
                return Err(Damage::MergeCellsCut(name.to_string()).into());
            }
            0x0809 => {
                if seen_bof {
                    depth += 1;
                } else {
                    seen_bof = true;
                }
            }
            // DIMENSIONS: calamine reserves rows × cols cells, with u32
            // arithmetic that wraps on reversed bounds (xls.rs:663-667).
            0x0200 => {
                let (rf, rl, mut cf, cl) = match d.len() {
                    10 => (
                        u32::from(le_u16(d, 0).unwrap_or(0)),
                        u32::from(le_u16(d, 2).unwrap_or(0)),
                        u32::from(le_u16(d, 4).unwrap_or(0)),
                        u32::from(le_u16(d, 6).unwrap_or(0)),
                    ),
                    14 | 16 => (
                        le_u32(d, 0).unwrap_or(0),
                        le_u32(d, 4).unwrap_or(0),
                        u32::from(le_u16(d, 8).unwrap_or(0)),
                        u32::from(le_u16(d, 10).unwrap_or(0)),
                    ),
                    _ => return Err(Damage::Dimensions.into()),
                };
                if 0xFF < cf || cl < cf {
                    cf = 0;
                }
                let (start, end) = if rl >= 1 && cl >= 1 {
                    ((rf, cf), (rl - 1, cl - 1))
                } else {
                    ((rf, cf), (rf, cf))
                };
                let r = u64::from(end.0.wrapping_sub(start.0).wrapping_add(1));
                let c = u64::from(end.1.wrapping_sub(start.1).wrapping_add(1));
                if r.saturating_mul(c) > MAX_DENSE_CELLS {
                    return Err(Refusal::DeclaredDenseTooBig {
                        sheet: name.to_string(),
                        rows: r,
                        cols: c,
                    });
                }
            }
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E => {
                if let Some((r, c)) = rc(d) {
                    cell(r, c, &mut out, budget)?;
                }
            }
            0x00FD => {
                if let Some((r, c)) = rc(d) {
                    cell(r, c, &mut out, budget)?;
                    let i = le_u32(d, 6).unwrap_or(u32::MAX) as usize;
                    let n = u64::from(ctx.sst.get(i).copied().unwrap_or(0));
                    out.text += n;
                    budget.text(n)?;
                }
            }
            0x0207 => cell(fmla.0, fmla.1, &mut out, budget)?,
            0x00BD => {
                if let Some((r, c)) = rc(d) {
                    if d.len() >= 6 {
                        let n = (d.len() - 6) / 6;
                        for k in 0..n as u32 {
                            cell(r, c + k, &mut out, budget)?;
                        }
                    }
                }
            }
            0x0006 => {
                if let Some((r, c)) = rc(d) {
                    fmla = (r, c);
                    cell(r, c, &mut out, budget)?;
                    // calamine parses formulas of 20 bytes or more (xls.rs:684).
                    if d.len() >= 20 && formula_overruns(&d[20..], ctx.biff8) {
                        return Err(Damage::FormulaCut(name.to_string()).into());
                    }
                    if let Some(cce) = le_u16(d, 20) {
                        let end = (22 + cce as usize).min(d.len());
                        let (text, work) = formula_cost(
                            &d[22.min(end)..end],
                            ctx.biff8,
                            ctx.name_max,
                            ctx.sheet_max,
                        );
                        out.text += text;
                        out.work += work;
                        budget.text(text)?;
                        budget.work(work)?;
                    }
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    if rmin <= rmax {
        out.dense = (u64::from(rmax - rmin) + 1, u64::from(cmax - cmin) + 1);
        if out.dense.0.saturating_mul(out.dense.1) > MAX_DENSE_CELLS {
            return Err(Refusal::DenseTooBig {
                sheet: name.to_string(),
                rows: out.dense.0,
                cols: out.dense.1,
            });
        }
    }
    Ok(out)
}

fn biff_sheet_name(d: &[u8], biff8: bool, n: usize) -> (String, u64) {
    let fallback = || format!("第{n}个工作表");
    let Some(&cch) = d.get(6) else {
        return (fallback(), 0);
    };
    let cch = cch as usize;
    let est = cch as u64 * 3;
    if biff8 {
        let Some(&flags) = d.get(7) else {
            return (fallback(), est);
        };
        let body = &d[8.min(d.len())..];
        let name = if flags & 1 != 0 {
            let units: Vec<u16> = body
                .chunks_exact(2)
                .take(cch)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        } else {
            body.iter().take(cch).map(|&b| b as char).collect()
        };
        (name, est)
    } else {
        let body = &d[7.min(d.len())..];
        let body = &body[..cch.min(body.len())];
        if body.is_ascii() {
            (String::from_utf8_lossy(body).into_owned(), est)
        } else {
            (fallback(), est)
        }
    }
}

/// Globals records that calamine reads without checking their length
/// (and would panic on, stopped by `catch_unwind`): BOF (`parse_bof`,
/// xls.rs:772), BoundSheet8 (xls.rs:803-815), Lbl (xls.rs:838-850, also
/// `len - cce`), ExternSheet (xls.rs:860). Found by the fuzzer
/// (examples/fuzz_reader.rs) on a BOF cut to one byte.
fn globals_record_too_short(rec: &BiffRec<'_>, biff8: bool) -> bool {
    let d = rec.data;
    match rec.typ {
        0x0809 => d.len() < 2,
        0x0085 => d.len() < 6,
        0x0018 => d.len() < 14 || le_u16(d, 4).is_none_or(|cce| cce as usize > d.len()),
        0x0017 => biff8 && d.len() < 2,
        _ => false,
    }
}

pub(super) fn scan_biff(stream: &[u8], limits: &Limits) -> Result<(), Refusal> {
    let mut budget = Budget::new(limits);
    let mut biff8 = true;
    let mut sheets: Vec<(usize, String)> = Vec::new();
    let mut sst = Vec::new();
    let mut name_max = 0u64;
    let mut sheet_max = 4u64;
    // Globals, up to the first EOF (xls.rs:526-580).
    for rec in (BiffIter { s: stream }) {
        let rec = rec?;
        if globals_record_too_short(&rec, biff8) {
            return Err(Damage::GlobalsRecordCut(rec.typ).into());
        }
        match rec.typ {
            0x002F => return Err(Refusal::Encrypted),
            0x0809 => {
                let vers = le_u16(rec.data, 0).unwrap_or(0x0600);
                let dt = le_u16(rec.data, 2).unwrap_or(0);
                biff8 = match vers {
                    0x0200 | 0x0002 | 0x0007 | 0x0300 | 0x0400 | 0x0500 => false,
                    0 => dt != 0x1000,
                    _ => true,
                };
            }
            0x0085 => {
                let Some(pos) = le_u32(rec.data, 0) else {
                    return Err(Damage::BoundSheet.into());
                };
                let (name, est) = biff_sheet_name(rec.data, biff8, sheets.len() + 1);
                sheet_max = sheet_max.max(est);
                sheets.push((pos as usize, name));
                if sheets.len() > MAX_SHEETS {
                    return Err(Refusal::TooManySheets);
                }
            }
            0x0018 => {
                if let Some(&cch) = rec.data.get(3) {
                    name_max = name_max.max(u64::from(cch) * 3);
                }
            }
            0x00FC => sst = biff_sst(&rec)?,
            0x000A => break,
            _ => {}
        }
    }
    let ctx = BiffCtx {
        sst: &sst,
        biff8,
        name_max,
        sheet_max,
    };
    // Each BoundSheet is built and kept by calamine, even when two point at
    // the same substream: the per-sheet figures are added once per sheet.
    let mut seen: HashMap<usize, BiffSheet> = HashMap::new();
    for (pos, name) in &sheets {
        if *pos > stream.len() {
            return Err(Damage::SheetOutsideFile(name.clone()).into());
        }
        let s = match seen.get(pos) {
            Some(s) => {
                if s.rows > limits.max_rows {
                    return Err(Refusal::TooManyRows {
                        sheet: name.to_string(),
                        max_rows: limits.max_rows,
                    });
                }
                budget.cells(s.cells)?;
                budget.text(s.text)?;
                budget.work(s.work)?;
                *s
            }
            None => {
                let s = biff_sheet(&stream[*pos..], name, &ctx, limits, &mut budget)?;
                seen.insert(*pos, s);
                s
            }
        };
        budget.dense(s.dense.0.saturating_mul(s.dense.1))?;
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
    fn small_xls_is_accepted_and_opens() {
        let b = xls(
            &[],
            &[
                dimensions((0, 2), (0, 2)),
                number(0, 0, 7.0),
                number(1, 1, 8.5),
            ],
        );
        assert_eq!(prescan("白砂镇.xls", &b, &limits()), Ok(Format::Xls));
        let wb = workbook::open(&b, Format::Xls, &limits()).unwrap();
        assert_eq!(
            wb.sheets[0].get(1, 1),
            Some(&workbook::CellValue::Number(8.5))
        );
    }

    #[test]
    fn xls_far_cell_and_huge_dimensions_are_s06() {
        let far = xls(&[], &[number(0, 0, 1.0), number(65535, 255, 2.0)]);
        rejects("白砂镇.xls", &far, Code::S06, "65536 行 × 256 列");
        let dims = xls(
            &[],
            &[dimensions((0, 1_000_000), (0, 200)), number(0, 0, 1.0)],
        );
        rejects("白砂镇.xls", &dims, Code::S06, "声明的数据区域");
        // Reversed bounds wrap around in calamine's u32 arithmetic.
        let reversed = xls(&[], &[dimensions((100, 50), (0, 2)), number(0, 0, 1.0)]);
        rejects("白砂镇.xls", &reversed, Code::S06, "声明的数据区域");
    }

    #[test]
    fn xls_too_many_rows_is_s06() {
        let rows: Vec<Vec<u8>> = (0..5001).map(|r| number(r, 0, 1.0)).collect();
        rejects("白砂镇.xls", &xls(&[], &rows), Code::S06, "超过 5000 行");
    }

    #[test]
    fn xls_sst_count_out_of_proportion_is_s06() {
        let mut sst = Vec::new();
        sst.extend(1_000_000u32.to_le_bytes());
        sst.extend(1_000_000u32.to_le_bytes());
        sst.extend([1, 0, 0, b'a']);
        rejects(
            "白砂镇.xls",
            &xls(&[rec(0x00FC, &sst)], &[]),
            Code::S06,
            "共享字符串",
        );
    }

    #[test]
    fn xls_formula_bomb_is_s06() {
        // PtgInt then 2,000 PtgAttrSpace of 255 spaces: calamine would insert
        // 510,000 spaces one by one at the front of the formula.
        let mut rgce = vec![0x1E, 1, 0];
        for _ in 0..2000 {
            rgce.extend([0x19, 0x40, 0x00, 0xFF]);
        }
        let mut d = Vec::new();
        d.extend(0u16.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(1.0f64.to_le_bytes());
        d.extend([0u8; 6]);
        d.extend((rgce.len() as u16).to_le_bytes());
        d.extend(&rgce);
        let formulas: Vec<Vec<u8>> = (0..20).map(|_| rec(0x0006, &d)).collect();
        rejects("白砂镇.xls", &xls(&[], &formulas), Code::S06, "公式");
    }

    /// calamine slices a formula's tokens unchecked: each case below
    /// panics inside it (checked by hand against calamine 0.38; stopped by
    /// `catch_unwind`, but a panic all the same). Found by
    /// examples/fuzz_reader.rs on a damaged .xls.
    #[test]
    fn xls_formula_cut_short_is_s01() {
        let formula = |rgce: &[u8], cce: u16| {
            let mut d = Vec::new();
            d.extend([0u8; 6]);
            d.extend(1.0f64.to_le_bytes());
            d.extend([0u8; 6]);
            d.extend(cce.to_le_bytes());
            d.extend(rgce);
            xls(&[], &[number(0, 0, 1.0), rec(0x0006, &d)])
        };
        // Whole: PtgInt 1, PtgRef A1, PtgAdd.
        let ok = [0x1E, 1, 0, 0x24, 0, 0, 0, 0xC0, 0x03];
        assert_eq!(
            prescan("白砂镇.xls", &formula(&ok, ok.len() as u16), &limits()),
            Ok(Format::Xls)
        );
        for (rgce, cce) in [
            (&ok[..5], 5),                // PtgRef cut short
            (&ok[..], 40),                // cce past the record
            (&[0x1F, 0, 0][..], 3),       // PtgNum without its 8 bytes
            (&[0x19][..], 1),             // PtgAttr without its type
            (&[0x23, 0, 0, 0, 0][..], 5), // PtgName 0 (underflows)
        ] {
            rejects("白砂镇.xls", &formula(rgce, cce), Code::S01, "不完整的公式");
        }
        // Where calamine stops with an error itself the file is accepted.
        let unknown = [0x1E, 1, 0, 0xFF, 0x1F];
        assert_eq!(
            prescan("白砂镇.xls", &formula(&unknown, 5), &limits()),
            Ok(Format::Xls)
        );
    }

    /// Records calamine parses unchecked, cut short (BOF, Lbl, MergeCells):
    /// each panics inside calamine 0.38 (checked by hand); S01 first.
    #[test]
    fn xls_records_cut_short_are_s01() {
        let cases = [
            xls(&[rec(0x0809, &[6])], &[number(0, 0, 1.0)]),
            xls(&[rec(0x0018, &[0, 0, 0, 1, 0, 0])], &[number(0, 0, 1.0)]),
            xls(&[], &[number(0, 0, 1.0), rec(0x00E5, &[5, 0, 0, 0])]),
        ];
        for b in &cases {
            rejects("白砂镇.xls", b, Code::S01, "不完整");
        }
    }
}
