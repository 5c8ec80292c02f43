//! A return as typed rows: each data sheet's village (or sign) rows with
//! values parsed by the schema and the cell each value came from.

use crate::finding::Finding;
use crate::read::normalise::{Date, Period};
use crate::read::workbook::RawWorkbook;
use crate::schema::{Col, CoverField, SheetId, SheetSpec};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt;

/// A parsed cell value, borrowed from its table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Val<'a> {
    Num(Decimal),
    Bool(bool),
    Text(&'a str),
}

impl fmt::Display for Val<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Num(d) => write!(f, "{}", d.normalize()),
            Val::Bool(b) => f.write_str(if *b { "是" } else { "否" }),
            Val::Text(s) => f.write_str(s),
        }
    }
}

/// One column's cell in a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field<'a> {
    /// The sheet has no such column.
    Absent,
    /// The cell is empty.
    Blank,
    /// The cell holds something that could not be read; a V finding says so.
    Bad,
    Ok(Val<'a>),
}

/// A cell as a table stores it: four bytes, its kind in the low three bits
/// and a payload above them; its text in the table's one string, reached
/// through the table's span list (a sign row of five cells is 20 bytes
/// plus its row, not five 24-byte values behind an allocation of their
/// own). Read back through [`Cell::unpack`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cell(u32);

/// A cell unpacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unpacked {
    Absent,
    Blank,
    Bad,
    Bool(bool),
    /// A number whose mantissa fits in [`Cell::MANTISSA_BITS`] bits (nearly
    /// all) and whose scale is below 16.
    Num {
        scale: u32,
        mantissa: i32,
    },
    /// Any other number: its index in `Table::big`.
    Big(u32),
    /// Its index in `Table::spans`.
    Text(u32),
}

impl Cell {
    const TAG_BITS: u32 = 3;
    const TAG_MASK: u32 = (1 << Self::TAG_BITS) - 1;
    const SCALE_BITS: u32 = 4;
    const MANTISSA_BITS: u32 = 32 - Self::TAG_BITS - Self::SCALE_BITS;
    /// Indexes (of `big` and `spans`) must be below this.
    const INDEX_LIMIT: u32 = 1 << (32 - Self::TAG_BITS);
    // The kinds (tags).
    const ABSENT: u32 = 0;
    const BLANK: u32 = 1;
    const BAD: u32 = 2;
    const BOOL: u32 = 3;
    const NUM: u32 = 4;
    const BIG: u32 = 5;
    const TEXT: u32 = 6;

    fn bool(b: bool) -> Cell {
        Cell(u32::from(b) << Self::TAG_BITS | Self::BOOL)
    }

    /// A number small enough to be packed, or `None`.
    fn num(d: &Decimal) -> Option<Cell> {
        let scale = d.scale();
        let limit = 1i128 << (Self::MANTISSA_BITS - 1);
        let m = d.mantissa();
        (scale < 1 << Self::SCALE_BITS && (-limit..limit).contains(&m)).then(|| {
            let m = (m as i32 as u32) << (Self::TAG_BITS + Self::SCALE_BITS);
            Cell(m | scale << Self::TAG_BITS | Self::NUM)
        })
    }

    fn index(tag: u32, i: usize) -> Cell {
        let i = u32::try_from(i)
            .ok()
            .filter(|i| *i < Self::INDEX_LIMIT)
            .expect(
                "a table has fewer than 2^29 numbers and texts (a sheet has at most 2^20 rows)",
            );
        Cell(i << Self::TAG_BITS | tag)
    }

    fn unpack(self) -> Unpacked {
        let payload = self.0 >> Self::TAG_BITS;
        match self.0 & Self::TAG_MASK {
            Self::ABSENT => Unpacked::Absent,
            Self::BLANK => Unpacked::Blank,
            Self::BAD => Unpacked::Bad,
            Self::BOOL => Unpacked::Bool(payload != 0),
            Self::NUM => Unpacked::Num {
                scale: payload & ((1 << Self::SCALE_BITS) - 1),
                mantissa: (self.0 as i32) >> (Self::TAG_BITS + Self::SCALE_BITS),
            },
            Self::BIG => Unpacked::Big(payload),
            Self::TEXT => Unpacked::Text(payload),
            tag => unreachable!("no cell is packed with tag {tag}"),
        }
    }
}

const _: () = assert!(std::mem::size_of::<Cell>() == 4);

/// A village (or sign, or explanation) row of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// 0-based row in the sheet.
    pub row: u32,
    /// Where the row's cells start in its table's cell store.
    at: u32,
}

/// A data sheet as read. Its rows' cells are kept in one store, one cell
/// per schema column, and read through the accessors below.
#[derive(Clone, Debug)]
pub struct Table {
    pub spec: &'static SheetSpec,
    /// The sheet's name as the file has it.
    pub name: String,
    pub header_row: u32,
    /// Schema column index → 0-based column in the sheet.
    pub cols: Vec<Option<u32>>,
    pub rows: Vec<Row>,
    /// 合计/总计 rows.
    pub totals: Vec<Row>,
    /// Every row's cells, `spec.columns.len()` per row.
    cells: Vec<Cell>,
    /// Every text cell's characters (a text met twice while reading is
    /// stored once).
    text: String,
    /// (start, length) in `text` of each text a cell refers to.
    spans: Vec<(u32, u32)>,
    big: Vec<Decimal>,
}

impl Table {
    /// A table with no rows yet.
    pub(crate) fn new(
        spec: &'static SheetSpec,
        name: String,
        header_row: u32,
        cols: Vec<Option<u32>>,
    ) -> Table {
        Table {
            spec,
            name,
            header_row,
            cols,
            rows: Vec::new(),
            totals: Vec::new(),
            cells: Vec::new(),
            text: String::new(),
            spans: Vec::new(),
            big: Vec::new(),
        }
    }

    pub(crate) fn id(&self) -> SheetId {
        self.spec.id
    }

    /// Sheet position in template order, for sorting findings.
    pub(crate) fn order(&self) -> u8 {
        sheet_order(self.spec.id)
    }

    fn width(&self) -> usize {
        self.spec.columns.len()
    }

    fn get(&self, c: Cell) -> Field<'_> {
        match c.unpack() {
            Unpacked::Absent => Field::Absent,
            Unpacked::Blank => Field::Blank,
            Unpacked::Bad => Field::Bad,
            Unpacked::Bool(b) => Field::Ok(Val::Bool(b)),
            Unpacked::Num { scale, mantissa } => {
                Field::Ok(Val::Num(Decimal::new(mantissa.into(), scale)))
            }
            Unpacked::Big(i) => Field::Ok(Val::Num(self.big[i as usize])),
            Unpacked::Text(i) => {
                let (at, len) = self.spans[i as usize];
                Field::Ok(Val::Text(&self.text[at as usize..(at + len) as usize]))
            }
        }
    }

    /// Schema column `i` of a row.
    pub(crate) fn field_at(&self, row: &Row, i: usize) -> Option<Field<'_>> {
        (i < self.width()).then(|| self.get(self.cells[row.at as usize + i]))
    }

    /// A row's cells in schema column order.
    pub(crate) fn fields(&self, row: &Row) -> impl Iterator<Item = Field<'_>> + '_ {
        let at = row.at as usize;
        self.cells[at..at + self.width()]
            .iter()
            .map(|c| self.get(*c))
    }

    fn field(&self, row: &Row, col: Col) -> Option<Field<'_>> {
        self.spec
            .column(col)
            .and_then(|(i, _)| self.field_at(row, i))
    }

    /// The value, when the cell was read without a finding.
    pub(crate) fn val(&self, row: &Row, col: Col) -> Option<Val<'_>> {
        match self.field(row, col) {
            Some(Field::Ok(v)) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn num(&self, row: &Row, col: Col) -> Option<Decimal> {
        match self.val(row, col) {
            Some(Val::Num(d)) => Some(d),
            _ => None,
        }
    }

    pub(crate) fn flag(&self, row: &Row, col: Col) -> Option<bool> {
        match self.val(row, col) {
            Some(Val::Bool(b)) => Some(b),
            _ => None,
        }
    }

    pub(crate) fn text(&self, row: &Row, col: Col) -> Option<&str> {
        match self.val(row, col) {
            Some(Val::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// The village code of a row, when valid.
    pub(crate) fn code(&self, row: &Row) -> Option<&str> {
        self.text(row, Col::VillageCode)
    }

    /// Was the cell blank (or the column absent)?
    pub(crate) fn is_blank(&self, row: &Row, col: Col) -> bool {
        matches!(
            self.field(row, col),
            None | Some(Field::Absent) | Some(Field::Blank)
        )
    }

    /// 0-based sheet column of a schema column, when present.
    pub(crate) fn col_of(&self, col: Col) -> Option<u32> {
        self.spec.column(col).and_then(|(i, _)| self.cols[i])
    }

    /// A finding anchored at `row`'s cell in `col` (the sheet only when the
    /// column is absent), with the village code when the row has one.
    pub(crate) fn finding(&self, f: Finding, row: &Row, col: Col) -> Finding {
        let f = match self.col_of(col) {
            Some(c) => f.at(&self.name, self.order(), row.row, c),
            None => f.on_sheet(&self.name, self.order()),
        };
        let f = match self.code(row) {
            Some(code) if self.spec.column(Col::VillageCode).is_some() => f.village(code),
            _ => f,
        };
        match self.val(row, col) {
            Some(v) => f.value(v.to_string()),
            None => f,
        }
    }

    // ------------------------------------------------------------ building

    /// Start a row at sheet row `row`: push its cells with [`Self::push`]
    /// (one per schema column), then [`Self::keep`] or [`Self::discard`] it.
    pub(crate) fn begin(&self, row: u32) -> Row {
        Row {
            row,
            at: self.cells.len() as u32,
        }
    }

    /// The next cell of the row begun last; text is stored once per
    /// `texts` (the reader's, for the whole table).
    pub(crate) fn push(&mut self, field: Field<'_>, texts: &mut Texts) {
        let cell = self.cell(field, Some(texts));
        self.cells.push(cell);
    }

    /// Keep a row begun and filled, as a village row or a totals row.
    pub(crate) fn keep(&mut self, row: Row, totals: bool) {
        debug_assert_eq!(self.cells.len(), row.at as usize + self.width());
        if totals {
            self.totals.push(row)
        } else {
            self.rows.push(row)
        }
    }

    /// Drop a row begun (its cells; its text may stay).
    pub(crate) fn discard(&mut self, row: Row) {
        self.cells.truncate(row.at as usize);
    }

    /// Reading is done: give back what the stores reserved beyond use.
    pub(crate) fn finish(&mut self) {
        self.rows.shrink_to_fit();
        self.totals.shrink_to_fit();
        self.cells.shrink_to_fit();
        self.text.shrink_to_fit();
        self.spans.shrink_to_fit();
        self.big.shrink_to_fit();
    }

    /// A copy holding only the rows `keep` picks (no totals rows), its
    /// stores no larger than they need.
    pub(crate) fn with_rows(&self, mut keep: impl FnMut(&Table, &Row) -> bool) -> Table {
        let mut out = Table::new(
            self.spec,
            self.name.clone(),
            self.header_row,
            self.cols.clone(),
        );
        let mut texts = Texts::default();
        for r in self.rows.iter().filter(|r| keep(self, r)) {
            let row = out.begin(r.row);
            for f in self.fields(r) {
                out.push(f, &mut texts);
            }
            out.keep(row, false);
        }
        out.finish();
        out
    }

    /// A copy with only the columns of `spec`, a narrower spec of the same
    /// sheet (each of its columns is one of this table's), every row and
    /// totals row kept.
    pub(crate) fn narrowed(&self, spec: &'static SheetSpec) -> Table {
        debug_assert_eq!(spec.id, self.spec.id);
        let from: Vec<usize> = spec
            .columns
            .iter()
            .map(|c| self.spec.index_of(c.id))
            .collect();
        let cols = from.iter().map(|i| self.cols[*i]).collect();
        let mut out = Table::new(spec, self.name.clone(), self.header_row, cols);
        let mut texts = Texts::default();
        for (rows, totals) in [(&self.rows, false), (&self.totals, true)] {
            for r in rows {
                let row = out.begin(r.row);
                for i in &from {
                    out.push(self.get(self.cells[r.at as usize + i]), &mut texts);
                }
                out.keep(row, totals);
            }
        }
        out.finish();
        out
    }

    #[cfg(test)]
    /// Replace schema column `i` of a row (tests build odd tables so).
    pub(crate) fn set(&mut self, row: &Row, i: usize, field: Field<'_>) {
        assert!(i < self.width(), "column {i} of {}", self.name);
        let cell = self.cell(field, None);
        self.cells[row.at as usize + i] = cell;
    }

    fn cell(&mut self, field: Field<'_>, texts: Option<&mut Texts>) -> Cell {
        match field {
            Field::Absent => Cell(Cell::ABSENT),
            Field::Blank => Cell(Cell::BLANK),
            Field::Bad => Cell(Cell::BAD),
            Field::Ok(Val::Bool(b)) => Cell::bool(b),
            Field::Ok(Val::Num(d)) => Cell::num(&d).unwrap_or_else(|| {
                self.big.push(d);
                Cell::index(Cell::BIG, self.big.len() - 1)
            }),
            Field::Ok(Val::Text(s)) => {
                let span = match texts {
                    Some(t) => t.store(&mut self.text, &mut self.spans, s),
                    None => append(&mut self.text, &mut self.spans, s),
                };
                Cell::index(Cell::TEXT, span)
            }
        }
    }
}

/// Store `s` at the end of `text` as a new span; its index.
fn append(text: &mut String, spans: &mut Vec<(u32, u32)>, s: &str) -> usize {
    let at = u32::try_from(text.len()).expect("a table holds less than 4 GB of text");
    text.push_str(s);
    spans.push((at, s.len() as u32));
    spans.len() - 1
}

/// The texts a table holds while it is read, so that a text met again (a
/// village code on each of its sign rows, a category, a catalogue name) is
/// stored once.
#[derive(Default)]
pub(crate) struct Texts {
    /// Indexes in the table's `spans`.
    seen: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::FixedState,
}

impl Texts {
    /// Texts longer than this are stored each time they are met.
    const SHARED_MAX: usize = 64;

    /// The index in `spans` of `s`, stored unless met before.
    fn store(&mut self, text: &mut String, spans: &mut Vec<(u32, u32)>, s: &str) -> usize {
        use std::hash::BuildHasher;
        if s.len() > Self::SHARED_MAX {
            return append(text, spans, s);
        }
        let of = |spans: &[(u32, u32)], i: u32| -> std::ops::Range<usize> {
            let (at, len) = spans[i as usize];
            at as usize..(at + len) as usize
        };
        let h = self.hasher.hash_one(s);
        if let Some(found) = self.seen.find(h, |&i| &text[of(spans, i)] == s) {
            return *found as usize;
        }
        let span = append(text, spans, s);
        let hasher = &self.hasher;
        let (t, sp): (&str, &[(u32, u32)]) = (text, spans);
        self.seen
            .insert_unique(h, span as u32, |&i| hasher.hash_one(&t[of(sp, i)]));
        span
    }
}

/// Sheet position in template order.
pub(crate) fn sheet_order(id: SheetId) -> u8 {
    crate::schema::ALL_SHEETS
        .iter()
        .position(|s| *s == id)
        .unwrap_or(0) as u8
}

/// The cover sheet 基本信息 as read.
#[derive(Clone, Debug, Default)]
pub struct Cover {
    /// The sheet's name as the file has it.
    pub sheet: String,
    /// Label → 0-based row of its value cell (column B).
    pub rows: BTreeMap<CoverField, u32>,
    pub county: Option<String>,
    pub township: Option<String>,
    pub township_code: Option<String>,
    pub period: Option<Period>,
    pub filler: Option<String>,
    pub phone: Option<String>,
    pub reviewer: Option<String>,
    pub fill_date: Option<Date>,
    pub template_version: Option<String>,
}

/// An explanation of a warning (情况说明).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub code: String,
    pub village: String,
    pub text: String,
}

/// A return that passed the structural checks: cover, tables and the raw
/// sheets (for the feedback workbook).
#[derive(Clone, Debug)]
pub struct Return {
    pub cover: Cover,
    pub tables: Vec<Table>,
    pub explanations: Vec<Explanation>,
}

impl Return {
    /// Village code → name, as the village sheets first give it.
    pub(crate) fn village_names(&self) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        for t in self.tables.iter().filter(|t| t.spec.per_village) {
            for r in &t.rows {
                if let (Some(code), Some(name)) = (t.code(r), t.text(r, Col::VillageName)) {
                    out.entry(code.to_string())
                        .or_insert_with(|| crate::read::normalise::clean(name));
                }
            }
        }
        out
    }

    pub(crate) fn table(&self, id: SheetId) -> Option<&Table> {
        self.tables.iter().find(|t| t.id() == id)
    }

    /// A previous period's return as the comparisons with it need it,
    /// made as soon as it is read: its village sheets whole (H02–H05, 环比,
    /// the villages expected without a roster, two files of one township
    /// told apart), but of 标牌明细, the longest sheet, only each row's
    /// village code and sign name (H01, and how many sign rows a village
    /// has): 24 bytes a row instead of 48, and no category, place or filing
    /// text.
    pub(crate) fn keep_for_comparison(&mut self) {
        for t in self
            .tables
            .iter_mut()
            .filter(|t| t.id() == SheetId::SignDetail)
        {
            *t = t.narrowed(&crate::schema::SIGN_DETAIL_KEYS);
        }
    }

    /// What a previous period's return still needs once this period's
    /// rules have compared against it: its village sheets whole (环比, the
    /// villages expected without a roster), but of 标牌明细 only the first
    /// row of each village: which villages it lists is all it still adds.
    pub(crate) fn keep_after_comparison(&mut self) {
        for t in self
            .tables
            .iter_mut()
            .filter(|t| t.id() == SheetId::SignDetail)
        {
            let mut seen = std::collections::HashSet::new();
            *t = t.with_rows(|t, r| t.code(r).is_some_and(|c| seen.insert(c.to_string())));
        }
    }
}

/// Everything known about one input file after reading it.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The file name as shown to users.
    pub file: String,
    pub path: std::path::PathBuf,
    pub sha256: String,
    /// The cover, when its sheet could be read (also for fatal files).
    pub cover: Option<Cover>,
    /// `None` when a fatal finding stopped the reading.
    pub ret: Option<Return>,
    pub raw: RawWorkbook,
    pub findings: Vec<Finding>,
    /// The tool's own county or tier workbook (told by its marker): not a
    /// return, listed as 已忽略.
    pub own_output: Option<crate::write::OutputKind>,
}

impl Loaded {
    pub(crate) fn is_fatal(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.level == crate::finding::Level::Fatal)
    }
    pub(crate) fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.level.is_error())
    }
    pub(crate) fn township_code(&self) -> Option<&str> {
        self.cover.as_ref().and_then(|c| c.township_code.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SIGN_DETAIL;

    fn table() -> Table {
        Table::new(
            &SIGN_DETAIL,
            "标牌明细".into(),
            0,
            vec![Some(0), Some(1), Some(2), None, Some(3)],
        )
    }

    fn add(t: &mut Table, texts: &mut Texts, row: u32, fields: &[Field<'_>]) -> Row {
        let r = t.begin(row);
        for f in fields {
            t.push(*f, texts);
        }
        t.keep(r, false);
        r
    }

    #[test]
    fn cells_come_back_as_stored() {
        let mut t = table();
        let mut texts = Texts::default();
        let long = "长".repeat(30_000); // 90,000 bytes: past a short span
        let big = Decimal::from_i128_with_scale(123_456_789_012_345, 2);
        let small = Decimal::new(-125, 1);
        let cells = [
            Field::Ok(Val::Text("990101104201")),
            Field::Ok(Val::Text(&long)),
            Field::Ok(Val::Num(big)),
            Field::Absent,
            Field::Ok(Val::Num(small)),
        ];
        let r = add(&mut t, &mut texts, 4, &cells);
        let other = [
            Field::Blank,
            Field::Bad,
            Field::Ok(Val::Bool(true)),
            Field::Absent,
            Field::Ok(Val::Text("")),
        ];
        let r2 = add(&mut t, &mut texts, 5, &other);
        t.finish();
        assert!(t.fields(&r).eq(cells));
        assert!(t.fields(&r2).eq(other));
        assert_eq!(t.num(&r, Col::SignPlace), None); // the place column is absent
        assert_eq!(t.text(&r, Col::SignName), Some(long.as_str()));
        assert_eq!(t.val(&r, Col::SignFiling).unwrap().to_string(), "-12.5");
        assert_eq!(
            t.val(&r, Col::SignCategory).unwrap().to_string(),
            "1234567890123.45"
        );
        assert_eq!(t.code(&r), Some("990101104201"));
        assert!(t.is_blank(&r2, Col::VillageCode));
        assert_eq!(t.field_at(&r, 5), None);
    }

    #[test]
    fn numbers_at_the_packing_limits_come_back_exactly() {
        let mut t = table();
        let mut texts = Texts::default();
        let edge = 1i64 << (Cell::MANTISSA_BITS - 1); // 2^24
        let nums = [
            (Decimal::new(edge - 1, 0), false),
            (Decimal::new(edge, 0), true),
            (Decimal::new(-edge, 2), false),
            (Decimal::new(-edge - 1, 2), true),
            (Decimal::new(7, 15), false),
            (Decimal::new(7, 16), true),
            (Decimal::ZERO, false),
        ];
        let rows: Vec<Row> = nums
            .iter()
            .enumerate()
            .map(|(k, (d, _))| {
                let fields = [
                    Field::Ok(Val::Num(*d)),
                    Field::Ok(Val::Bool(k % 2 == 0)),
                    Field::Blank,
                    Field::Absent,
                    Field::Bad,
                ];
                add(&mut t, &mut texts, k as u32, &fields)
            })
            .collect();
        for (k, ((d, big), r)) in nums.iter().zip(&rows).enumerate() {
            assert_eq!(t.field_at(r, 0), Some(Field::Ok(Val::Num(*d))), "{d}");
            assert_eq!(t.flag(r, Col::SignName), Some(k % 2 == 0));
            assert_eq!(Cell::num(d).is_none(), *big, "{d}");
        }
        assert_eq!(t.big.len(), 3);
    }

    #[test]
    fn a_text_met_again_is_stored_once() {
        let mut t = table();
        let mut texts = Texts::default();
        for k in 0..100 {
            add(
                &mut t,
                &mut texts,
                k,
                &[
                    Field::Ok(Val::Text("990101104201")),
                    Field::Ok(Val::Text("综治中心")),
                    Field::Ok(Val::Text("综治")),
                    Field::Absent,
                    Field::Blank,
                ],
            );
        }
        assert_eq!(t.text, "990101104201综治中心综治");
        assert_eq!(t.spans, [(0, 12), (12, 12), (24, 6)]);
        assert_eq!(t.rows.len(), 100);
        assert_eq!(t.text(&t.rows[99], Col::SignName), Some("综治中心"));
    }

    #[test]
    fn a_discarded_row_leaves_no_cells() {
        let mut t = table();
        let mut texts = Texts::default();
        let r = t.begin(1);
        t.push(Field::Bad, &mut texts);
        t.push(Field::Blank, &mut texts);
        t.discard(r);
        let kept = add(
            &mut t,
            &mut texts,
            2,
            &[
                Field::Bad,
                Field::Blank,
                Field::Blank,
                Field::Absent,
                Field::Blank,
            ],
        );
        assert_eq!(t.rows, [kept]);
        assert_eq!(t.field_at(&kept, 0), Some(Field::Bad));
    }

    #[test]
    fn set_replaces_one_cell() {
        let mut t = table();
        let mut texts = Texts::default();
        let r = add(
            &mut t,
            &mut texts,
            2,
            &[
                Field::Ok(Val::Text("990101104201")),
                Field::Ok(Val::Text("综治中心")),
                Field::Blank,
                Field::Absent,
                Field::Blank,
            ],
        );
        t.set(&r, 4, Field::Ok(Val::Text("樟委〔2024〕3号")));
        assert_eq!(t.text(&r, Col::SignFiling), Some("樟委〔2024〕3号"));
        assert_eq!(t.text(&r, Col::SignName), Some("综治中心"));
    }
}
