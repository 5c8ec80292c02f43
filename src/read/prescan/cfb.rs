//! The compound file (CFB) around an .xls, read the way calamine's
//! `cfb.rs` reads it but with every sector chain checked for cycles and
//! bounds; its workbook stream goes on to `biff.rs`. Also where an
//! encrypted OOXML package, a Word or PowerPoint 97 file or a WPS `.et`
//! is told apart.

use super::biff;
use super::refusal::{Damage, Refusal};
use super::Format;
use crate::policy::Limits;

pub(super) const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
pub(super) const ENDOFCHAIN: u32 = 0xFFFF_FFFE;

struct CfbEntry {
    name: String,
    start: u32,
    size: u64,
}

/// A compound file, read the way calamine's `cfb.rs` reads it, but with
/// every sector chain checked for cycles and bounds (calamine follows a
/// chain until ENDOFCHAIN or the stated size, `cfb.rs:328-345`, so a cycle
/// means an endless loop growing a Vec).
struct Cfb<'a> {
    bytes: &'a [u8],
    ssz: usize,
    nsec: usize,
    fat: Vec<u32>,
    minifat: Vec<u32>,
    ministream: Vec<u8>,
    entries: Vec<CfbEntry>,
}

fn bad_cfb() -> Refusal {
    Damage::Cfb.into()
}

impl<'a> Cfb<'a> {
    fn sector(&self, id: u32) -> Result<&'a [u8], Refusal> {
        let id = id as usize;
        if id >= self.nsec {
            return Err(bad_cfb());
        }
        let start = (id + 1) * self.ssz;
        Ok(&self.bytes[start..(start + self.ssz).min(self.bytes.len())])
    }

    /// The sector ids of a chain; a cycle, an id outside the table or a
    /// chain longer than `max` is damage.
    fn chain(table: &[u32], start: u32, max: usize) -> Result<Vec<u32>, Refusal> {
        let mut seen = vec![false; table.len()];
        let mut out = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN {
            let i = id as usize;
            if i >= table.len() || seen[i] || out.len() >= max {
                return Err(bad_cfb());
            }
            seen[i] = true;
            out.push(id);
            id = table[i];
        }
        Ok(out)
    }

    fn parse(bytes: &'a [u8]) -> Result<Cfb<'a>, Refusal> {
        if bytes.len() < 512 {
            return Err(bad_cfb());
        }
        let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
        let u32_at = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let ssz = match u16_at(30) {
            9 => 512,
            12 => 4096,
            _ => return Err(bad_cfb()),
        };
        if u16_at(32) != 6 || bytes.len() < ssz {
            return Err(bad_cfb());
        }
        let nsec = (bytes.len() - ssz).div_ceil(ssz);
        let mut cfb = Cfb {
            bytes,
            ssz,
            nsec,
            fat: Vec::new(),
            minifat: Vec::new(),
            ministream: Vec::new(),
            entries: Vec::new(),
        };
        // DIFAT: 109 ids in the header, then a chain of DIFAT sectors.
        let mut difat: Vec<u32> = (0..109).map(|i| u32_at(76 + 4 * i)).collect();
        let mut next = u32_at(68);
        let mut hops = 0;
        while next < 0xFFFF_FFFA {
            hops += 1;
            if hops > nsec {
                return Err(bad_cfb());
            }
            let s = cfb.sector(next)?;
            let ids: Vec<u32> = s
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let Some((&last, rest)) = ids.split_last() else {
                return Err(bad_cfb());
            };
            difat.extend_from_slice(rest);
            next = last;
        }
        let fat_ids: Vec<u32> = difat.into_iter().filter(|&id| id < 0xFFFF_FFFC).collect();
        if fat_ids.len() > nsec {
            return Err(bad_cfb());
        }
        let mut fat = Vec::with_capacity(fat_ids.len() * ssz / 4);
        for id in fat_ids {
            fat.extend(
                cfb.sector(id)?
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        }
        cfb.fat = fat;
        let dir_chain = Self::chain(&cfb.fat, u32_at(48), nsec)?;
        for id in dir_chain {
            let s = cfb.sector(id)?;
            for e in s.chunks_exact(128) {
                let units: Vec<u16> = e[..64]
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .take_while(|&u| u != 0)
                    .collect();
                let size = if ssz == 512 {
                    u64::from(u32::from_le_bytes([e[120], e[121], e[122], e[123]]))
                } else {
                    u64::from_le_bytes([
                        e[120], e[121], e[122], e[123], e[124], e[125], e[126], e[127],
                    ])
                };
                cfb.entries.push(CfbEntry {
                    name: String::from_utf16_lossy(&units),
                    start: u32::from_le_bytes([e[116], e[117], e[118], e[119]]),
                    size,
                });
            }
        }
        if cfb.entries.is_empty() {
            return Err(bad_cfb());
        }
        if u32_at(64) > 0 {
            let root = Self::chain(&cfb.fat, cfb.entries[0].start, nsec)?;
            let minifat = Self::chain(&cfb.fat, u32_at(60), nsec)?;
            let mut mf = Vec::new();
            for id in minifat {
                mf.extend(
                    cfb.sector(id)?
                        .chunks_exact(4)
                        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                );
            }
            let mut ms = Vec::new();
            for id in root {
                ms.extend_from_slice(cfb.sector(id)?);
            }
            cfb.minifat = mf;
            cfb.ministream = ms;
        }
        Ok(cfb)
    }

    fn find(&self, name: &str) -> Option<&CfbEntry> {
        self.entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
    }

    fn stream(&self, e: &CfbEntry) -> Result<Vec<u8>, Refusal> {
        if e.size > (self.nsec * self.ssz) as u64 {
            return Err(bad_cfb());
        }
        let size = e.size as usize;
        let mut out = Vec::with_capacity(size);
        if e.size < 4096 {
            let max = self.ministream.len() / 64 + 1;
            for id in Self::chain(&self.minifat, e.start, max)? {
                let at = id as usize * 64;
                let s = self
                    .ministream
                    .get(at..(at + 64).min(self.ministream.len()));
                out.extend_from_slice(s.ok_or_else(bad_cfb)?);
                if out.len() >= size {
                    break;
                }
            }
        } else {
            for id in Self::chain(&self.fat, e.start, self.nsec)? {
                out.extend_from_slice(self.sector(id)?);
                if out.len() >= size {
                    break;
                }
            }
        }
        out.truncate(size);
        Ok(out)
    }
}

pub(super) fn scan_cfb(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Format, Refusal> {
    let cfb = Cfb::parse(bytes)?;
    if cfb.find("EncryptionInfo").is_some() || cfb.find("EncryptedPackage").is_some() {
        return Err(Refusal::Encrypted);
    }
    let Some(entry) = cfb.find("Workbook").or_else(|| cfb.find("Book")) else {
        if file_name.to_ascii_lowercase().ends_with(".et") {
            return Err(Refusal::WpsEt);
        }
        if cfb.find("WordDocument").is_some() {
            return Err(Refusal::OfficeDocument("Word 97-2003 文档(.doc)"));
        }
        if cfb.find("PowerPoint Document").is_some() {
            return Err(Refusal::OfficeDocument("PowerPoint 97-2003 演示文稿(.ppt)"));
        }
        return Err(Refusal::NotWorkbook(
            "不含 Excel 工作簿的 Office 复合文档(也可能是 WPS 表格 .et 文件)",
        ));
    };
    let stream = cfb.stream(entry)?;
    biff::scan_biff(&stream, limits)?;
    Ok(Format::Xls)
}

#[cfg(test)]
mod tests {
    use super::super::kit::*;
    use crate::finding::Code;

    #[test]
    fn cfb_with_a_cycle_is_damaged_not_a_hang() {
        let mut x = xls(&[], &[number(0, 0, 1.0)]);
        // Point the directory sector's FAT entry at itself.
        let dir_start = u32::from_le_bytes(x[48..52].try_into().unwrap()) as usize;
        let at = 512 + 4 * dir_start;
        x[at..at + 4].copy_from_slice(&(dir_start as u32).to_le_bytes());
        rejects("白砂镇.xls", &x, Code::S01, "已损坏");
    }

    #[test]
    fn encrypted_workbooks_are_s01() {
        let f = rejects(
            "白砂镇.xlsx",
            &encrypted_ooxml(),
            Code::S01,
            "文件设置了打开密码",
        );
        assert!(f.message.contains("去掉密码后另存为 .xlsx"));
        let mut filepass = Vec::new();
        filepass.extend(1u16.to_le_bytes());
        filepass.extend([0u8; 52]);
        let x = xls(&[rec(0x002F, &filepass)], &[number(0, 0, 1.0)]);
        rejects("白砂镇.xls", &x, Code::S01, "打开密码");
        // XOR obfuscation (type 0) is encryption too, though calamine lets it through.
        let x = xls(&[rec(0x002F, &[0, 0, 1, 2, 3, 4])], &[number(0, 0, 1.0)]);
        rejects("白砂镇.xls", &x, Code::S01, "打开密码");
    }
}
