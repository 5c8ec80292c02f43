//! The bounded zip reader behind the xlsx, xlsb and ODS checks: the
//! directory held to the entry limit and the inflate budget before any part
//! is read, then each part read at most once, through a counting reader
//! that stops at the file's budget.

use super::limits::{MAX_ZIP_ENTRIES, MIB};
use super::refusal::{past_declared_size, Damage, Refusal};
use crate::policy::Limits;
use std::collections::HashMap;
use std::io::{self, Cursor, Read};
use zip::result::ZipError;
use zip::ZipArchive;

/// Which limit a [`Counted`] reader crossed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Trip {
    /// The file's inflate budget.
    Total,
    /// One XML event's worth.
    Window,
}

/// Counts the inflated bytes read and fails once a limit is crossed: over
/// the file's whole budget (`limit`), or within one XML event (`window`).
pub(super) struct Counted<R> {
    inner: R,
    pub(super) total: u64,
    limit: u64,
    pub(super) window: u64,
    window_limit: u64,
    pub(super) tripped: Option<Trip>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.tripped.is_none() {
            let n = self.inner.read(buf)?;
            self.total += n as u64;
            self.window += n as u64;
            if self.total > self.limit {
                self.tripped = Some(Trip::Total);
            } else if self.window > self.window_limit {
                self.tripped = Some(Trip::Window);
            } else {
                return Ok(n);
            }
        }
        Err(io::Error::other("prescan limit reached"))
    }
}

/// One part of an archive being read, through the counting reader.
pub(super) type Part<'z, 'a> = Counted<zip::read::ZipFile<'z, Cursor<&'a [u8]>>>;

/// A part name as calamine looks parts up (`utils.rs:214`): lower case,
/// `/`-separated.
pub(super) fn norm(path: &str) -> String {
    path.replace('\\', "/").to_ascii_lowercase()
}

fn entry_error(name: &str, e: ZipError) -> Refusal {
    match e {
        ZipError::UnsupportedArchive(m) if m == ZipError::PASSWORD_REQUIRED => Refusal::Encrypted,
        _ => Damage::PartUnreadable(name.to_string()).into(),
    }
}

/// A zip archive being scanned: each part is read at most once, through a
/// counting reader, and the inflated total is bounded.
pub(super) struct Zip<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    pub(super) names: Vec<String>,
    /// Lower-cased, `/`-separated name → index.
    index: HashMap<String, usize>,
    /// Each part's uncompressed size as the directory declares it.
    pub(super) sizes: Vec<u64>,
    /// Parts read (or left to calamine): not scanned again.
    pub(super) done: Vec<bool>,
    pub(super) inflated: u64,
    limit: u64,
}

impl<'a> Zip<'a> {
    pub(super) fn open(bytes: &'a [u8], limits: &Limits) -> Result<Zip<'a>, Refusal> {
        // zip 9.4 sizes its directory by min(entries, directory bytes / 46)
        // and checks both against the file, so opening is bounded.
        let archive = ZipArchive::new(Cursor::new(bytes)).map_err(|_| Damage::ZipTruncated)?;
        let n = archive.len();
        if n > MAX_ZIP_ENTRIES {
            return Err(Refusal::TooManyParts(n));
        }
        let limit = limits.max_inflated_mb.saturating_mul(MIB);
        let mut z = Zip {
            archive,
            names: Vec::with_capacity(n),
            index: HashMap::with_capacity(n),
            sizes: Vec::with_capacity(n),
            done: vec![false; n],
            inflated: 0,
            limit,
        };
        let mut declared = 0u64;
        for i in 0..n {
            let e = z
                .archive
                .by_index_data(i)
                .map_err(|_| Damage::ZipDirectory)?;
            let name = match e.name() {
                Ok(s) => s.into_owned(),
                Err(_) => String::from_utf8_lossy(e.name_raw()).into_owned(),
            };
            if e.encrypted() {
                return Err(Refusal::Encrypted);
            }
            declared = declared.saturating_add(e.size());
            z.sizes.push(e.size());
            z.index.insert(norm(&name), i);
            z.names.push(name);
        }
        if declared > limit {
            return Err(Refusal::DeclaredInflateTooLarge {
                mb: declared / MIB,
                max_mb: limits.max_inflated_mb,
            });
        }
        Ok(z)
    }

    pub(super) fn find(&self, path: &str) -> Option<usize> {
        self.index.get(&norm(path)).copied()
    }

    pub(super) fn has_prefix(&self, prefix: &str) -> bool {
        self.index.keys().any(|k| k.starts_with(prefix))
    }

    /// Why reading part `idx` stopped: a limit the counting reader crossed,
    /// else the read `error` (a part inflating past its declared size is a
    /// zip bomb's lie, anything else damage).
    pub(super) fn read_failure(
        &self,
        idx: usize,
        tripped: Option<Trip>,
        error: Option<&io::Error>,
    ) -> Refusal {
        let name = &self.names[idx];
        match tripped {
            Some(Trip::Total) => Refusal::InflateTooLarge {
                max_mb: self.limit / MIB,
            },
            Some(Trip::Window) => Refusal::LongStretch { part: name.clone() },
            None if error.is_some_and(past_declared_size) => Refusal::BiggerThanDeclared {
                part: format!("部件 {name} "),
            },
            None => Damage::PartNotInflatable(name.clone()).into(),
        }
    }

    /// Part `idx` opened through the counting reader, with what is left of
    /// the file's inflate budget and `window` bytes per XML event; `None`
    /// when the part has been read already.
    pub(super) fn open_part(
        &mut self,
        idx: usize,
        window: u64,
    ) -> Result<Option<Part<'_, 'a>>, Refusal> {
        if std::mem::replace(&mut self.done[idx], true) {
            return Ok(None);
        }
        let remaining = self.limit.saturating_sub(self.inflated);
        let file = self
            .archive
            .by_index(idx)
            .map_err(|e| entry_error(&self.names[idx], e))?;
        Ok(Some(Counted {
            inner: file,
            total: 0,
            limit: remaining,
            window: 0,
            window_limit: window,
            tripped: None,
        }))
    }

    /// At most `max` bytes of part `idx`, whole (a `mimetype`).
    pub(super) fn read_small(&mut self, idx: usize, max: u64) -> Result<Vec<u8>, Refusal> {
        self.done[idx] = true;
        let mut file = self
            .archive
            .by_index(idx)
            .map_err(|e| entry_error(&self.names[idx], e))?;
        let mut out = Vec::new();
        (&mut file)
            .take(max)
            .read_to_end(&mut out)
            .map_err(|_| Damage::PartNotInflatable(self.names[idx].clone()))?;
        self.inflated += out.len() as u64;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::kit::*;
    use crate::finding::Code;
    use crate::kit::handzip::{bomb_xlsx, crc32, raw_zip, zeros_deflate, RawEntry};
    use std::io::{Cursor, Read};
    use std::time::{Duration, Instant};
    use zip::ZipArchive;

    #[test]
    fn truncated_xlsx_is_damaged() {
        let f = rejects("白砂镇.xlsx", &truncated_xlsx(), Code::S01, "文件已损坏");
        assert!(f.message.contains("另存为"));
    }

    /// 300 MB of zeros in ~300 KB, its headers declaring 1,000 bytes: the
    /// read stops at the declared size, long before inflating the rest.
    #[test]
    fn zip_bomb_with_lying_sizes_is_s06_within_a_second() {
        let matches = 300 * 1024 * 1024 / 258;
        let b = bomb_xlsx(matches, 1000);
        assert!(b.len() < 400 * 1024, "bomb is {} bytes", b.len());
        let t = Instant::now();
        // calamine's read of the sheet stops at the declared size.
        rejects(
            "白砂镇.xlsx",
            &b,
            Code::S06,
            "工作表「基本信息」的部件解压后比它声明的大小更大(疑似“压缩炸弹”)",
        );
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    }

    #[test]
    fn declared_sizes_over_max_inflated_are_s06_at_once() {
        let matches = 300 * 1024 * 1024 / 258;
        let b = bomb_xlsx(matches, (matches * 258 + 1) as u32);
        let t = Instant::now();
        rejects("白砂镇.xlsx", &b, Code::S06, "解压后约 300 MB");
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn hand_made_deflate_really_inflates() {
        // The honest small variant reads back in full through the zip crate.
        let matches = 40;
        let data = vec![0u8; 1 + 258 * matches];
        let z = raw_zip(&[RawEntry {
            name: "zeros.bin".to_string(),
            deflated: true,
            data: zeros_deflate(matches),
            crc: crc32(&data),
            size: data.len() as u32,
        }]);
        let mut a = ZipArchive::new(Cursor::new(&z[..])).unwrap();
        let mut out = Vec::new();
        a.by_index(0).unwrap().read_to_end(&mut out).unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn too_many_zip_entries_is_s06() {
        let names: Vec<String> = (0..1001).map(|i| format!("xl/media/p{i}.txt")).collect();
        let parts: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
        rejects("白砂镇.xlsx", &zip_of(&parts), Code::S06, "1001 个部件");
    }
}
