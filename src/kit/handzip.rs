//! Hand-made zips for hostile-input tests: a zip written byte by byte, so its
//! declared sizes and CRCs may lie and a name may appear twice, and a raw
//! deflate stream of zeros with a ~1000:1 ratio for zip bombs. Shared by the
//! pre-scan's unit tests, the integration tests and the fuzzer.

/// CRC-32 (IEEE) of `data`, table-driven.
pub fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c = TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// One entry of a hand-made zip: `data` is written as is (raw deflate when
/// `deflated`); `crc` and `size` (the uncompressed size) are what the
/// headers declare, true or not.
#[derive(Clone, Debug)]
pub struct RawEntry {
    pub name: String,
    pub deflated: bool,
    pub data: Vec<u8>,
    pub crc: u32,
    pub size: u32,
}

/// A stored (uncompressed) entry with honest headers.
pub fn stored(name: &str, data: &[u8]) -> RawEntry {
    RawEntry {
        name: name.to_string(),
        deflated: false,
        data: data.to_vec(),
        crc: crc32(data),
        size: data.len() as u32,
    }
}

/// A zip of `entries` in order: local headers, data, central directory.
pub fn raw_zip(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let method: u16 = if e.deflated { 8 } else { 0 };
        let mut common = Vec::new();
        common.extend(20u16.to_le_bytes());
        common.extend(0u16.to_le_bytes());
        common.extend(method.to_le_bytes());
        common.extend(0u16.to_le_bytes());
        common.extend(0x21u16.to_le_bytes());
        common.extend(e.crc.to_le_bytes());
        common.extend((e.data.len() as u32).to_le_bytes());
        common.extend(e.size.to_le_bytes());
        common.extend((e.name.len() as u16).to_le_bytes());
        common.extend(0u16.to_le_bytes());
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(&common);
        out.extend(e.name.as_bytes());
        out.extend(&e.data);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes());
        central.extend(&common);
        central.extend([0u8; 10]);
        central.extend(offset.to_le_bytes());
        central.extend(e.name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend([0u8; 2]);
    out
}

/// Bits written least significant first, as deflate wants.
#[derive(Default)]
pub struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    pub fn put(&mut self, v: u64, n: u32) {
        self.acc |= v << self.n;
        self.n += n;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code, most significant bit first.
    pub fn code(&mut self, code: u64, len: u32) {
        for i in (0..len).rev() {
            self.put((code >> i) & 1, 1);
        }
    }
    pub fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A raw deflate stream of `1 + 258 * matches` zero bytes: one dynamic
/// block whose only length code (258) and distance code (1) take one bit
/// each, so 2 bits inflate to 258 bytes (≈1000:1).
pub fn zeros_deflate(matches: usize) -> Vec<u8> {
    let mut b = Bits::default();
    b.put(1, 1); // BFINAL
    b.put(2, 2); // dynamic Huffman
    b.put(29, 5); // 286 literal/length codes
    b.put(0, 5); // 1 distance code
    b.put(14, 4); // 18 code-length codes, in the order below
                  // 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1
    for l in [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2] {
        b.put(l, 3);
    }
    // Code-length codes: 2 → "0", 1 → "10", 18 → "11".
    fn len2(b: &mut Bits) {
        b.code(0b0, 1);
    }
    fn len1(b: &mut Bits) {
        b.code(0b10, 2);
    }
    fn zeros(b: &mut Bits, n: u64) {
        b.code(0b11, 2);
        b.put(n - 11, 7);
    }
    // Literal/length lengths: 0 → 2, 256 → 2, 285 → 1, the rest 0.
    len2(&mut b);
    zeros(&mut b, 138);
    zeros(&mut b, 117);
    len2(&mut b);
    zeros(&mut b, 28);
    len1(&mut b);
    // Distance lengths: code 0 → 1.
    len1(&mut b);
    // Literal 0 = "10", then the matches two bits each, end = "11". A
    // match is "0" + "0": whole bytes of zero bits, four matches a byte.
    b.code(0b10, 2);
    let mut left = matches;
    while left > 0 && b.n != 0 {
        b.code(0, 1);
        b.code(0, 1);
        left -= 1;
    }
    b.out.resize(b.out.len() + left / 4, 0);
    for _ in 0..left % 4 {
        b.code(0, 1);
        b.code(0, 1);
    }
    b.code(0b11, 2);
    b.finish()
}

pub const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
pub const PKG_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
pub const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="基本信息" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
pub const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

/// The number of matches that inflate to just under 4 GiB (the most a
/// 32-bit declared size can honestly say): 4,294,867,177 bytes.
pub const MATCHES_4_GB: usize = (u32::MAX as usize - 1) / 258;

/// An xlsx (one sheet `基本信息`) whose sheet part inflates to
/// `matches * 258 + 1` zero bytes while its headers declare `declared`.
pub fn bomb_xlsx(matches: usize, declared: u32) -> Vec<u8> {
    raw_zip(&[
        stored("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        stored("_rels/.rels", PKG_RELS.as_bytes()),
        stored("xl/workbook.xml", WORKBOOK.as_bytes()),
        stored("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        RawEntry {
            name: "xl/worksheets/sheet1.xml".to_string(),
            deflated: true,
            data: zeros_deflate(matches),
            crc: 0,
            size: declared,
        },
    ])
}
