//! The XML parts a workbook library parses (relationships, the workbook,
//! shared strings, ODS content), streamed through quick-xml with one reused
//! buffer: a sink per part sees the events and refuses what it must, the
//! driver bounds nesting and the length of one event.

use super::limits::{MAX_XML_DEPTH, MAX_XML_EVENT_BYTES};
use super::refusal::{Damage, Refusal};
use super::zip::{norm, Counted, Zip};
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;
use std::io::{BufReader, Read};

/// Receives the events of one XML part. An empty element arrives as
/// `start` then `end`.
pub(super) trait XmlSink {
    fn start(&mut self, _e: &BytesStart<'_>) -> Result<(), Refusal> {
        Ok(())
    }
    fn end(&mut self, _local: &str) -> Result<(), Refusal> {
        Ok(())
    }
    /// The raw (prefixed) name of an end tag, just before `end`.
    fn end_name(&mut self, _qname: &str) -> Result<(), Refusal> {
        Ok(())
    }
    fn text(&mut self, _t: &str) -> Result<(), Refusal> {
        Ok(())
    }
    /// The end of the part.
    fn eof(&mut self) -> Result<(), Refusal> {
        Ok(())
    }
    /// Seen all it needs: the rest of the part is left unread (and `eof`
    /// is not called).
    fn finished(&self) -> bool {
        false
    }
}

/// Reads a part for its depth and size alone.
pub(super) struct Noop;
impl XmlSink for Noop {}

enum XmlStop {
    Refused(Refusal),
    TooDeep,
    Xml(quick_xml::Error),
}

impl From<Refusal> for XmlStop {
    fn from(r: Refusal) -> Self {
        XmlStop::Refused(r)
    }
}

fn drive_xml<R: Read>(
    xml: &mut quick_xml::Reader<BufReader<Counted<R>>>,
    sink: &mut dyn XmlSink,
) -> Result<(), XmlStop> {
    let mut buf = Vec::with_capacity(4096);
    let mut depth = 0usize;
    loop {
        buf.clear();
        xml.get_mut().get_mut().window = 0;
        match xml.read_event_into(&mut buf).map_err(XmlStop::Xml)? {
            Event::Start(e) => {
                depth += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(XmlStop::TooDeep);
                }
                sink.start(&e)?;
                if sink.finished() {
                    return Ok(());
                }
            }
            Event::Empty(e) => {
                if depth + 1 > MAX_XML_DEPTH {
                    return Err(XmlStop::TooDeep);
                }
                sink.start(&e)?;
                sink.end_name(e.name().as_ref())?;
                sink.end(e.local_name().as_ref())?;
                if sink.finished() {
                    return Ok(());
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                sink.end_name(e.name().as_ref())?;
                sink.end(e.local_name().as_ref())?;
            }
            Event::Text(t) => sink.text(&t)?,
            Event::CData(t) => sink.text(&t)?,
            // An entity or character reference: at most 4 bytes of UTF-8.
            Event::GeneralRef(_) => sink.text("&#0;")?,
            Event::Eof => {
                sink.eof()?;
                return Ok(());
            }
            _ => {}
        }
    }
}

impl Zip<'_> {
    /// Stream one XML part through `sink`. `strict`: calamine parses this
    /// part, so malformed XML is reported (our parser must never stop
    /// earlier than calamine's would).
    pub(super) fn scan_xml(
        &mut self,
        idx: usize,
        strict: bool,
        sink: &mut dyn XmlSink,
    ) -> Result<(), Refusal> {
        let Some(counted) = self.open_part(idx, MAX_XML_EVENT_BYTES)? else {
            return Ok(());
        };
        let mut xml = quick_xml::Reader::from_reader(BufReader::new(counted));
        {
            let c = xml.config_mut();
            c.check_end_names = false;
            c.check_comments = false;
            c.allow_dangling_amp = true;
            c.allow_unmatched_ends = true;
        }
        let outcome = drive_xml(&mut xml, sink);
        let (total, tripped) = {
            let c = xml.get_ref().get_ref();
            (c.total, c.tripped)
        };
        drop(xml);
        self.inflated += total;
        match outcome {
            Ok(()) => Ok(()),
            Err(XmlStop::Refused(r)) => Err(r),
            Err(XmlStop::TooDeep) => Err(Refusal::TooDeep {
                part: self.names[idx].clone(),
            }),
            Err(XmlStop::Xml(quick_xml::Error::Io(e))) => {
                Err(self.read_failure(idx, tripped, Some(&e)))
            }
            Err(XmlStop::Xml(_)) if tripped.is_some() => Err(self.read_failure(idx, tripped, None)),
            Err(XmlStop::Xml(_)) if strict => {
                Err(Damage::PartMalformed(self.names[idx].clone()).into())
            }
            Err(XmlStop::Xml(_)) => Ok(()),
        }
    }

    /// Every XML part not yet read: nesting depth and inflated size only.
    /// A part declared at most one XML event's worth is skipped: the zip
    /// crate stops any read of it at that size, so neither its inflated
    /// size nor one event in it can exceed what `Zip::open` allowed.
    pub(super) fn scan_rest(&mut self) -> Result<(), Refusal> {
        for i in 0..self.names.len() {
            let n = norm(&self.names[i]);
            if !self.done[i]
                && self.sizes[i] > MAX_XML_EVENT_BYTES
                && (n.ends_with(".xml") || n.ends_with(".rels"))
            {
                self.scan_xml(i, false, &mut Noop)?;
            }
        }
        Ok(())
    }
}

// ------------------------------------------------------------ attributes

pub(super) fn attrs<'e>(e: &'e BytesStart<'_>) -> impl Iterator<Item = Attribute<'e>> {
    let mut a = e.attributes();
    a.with_checks(false);
    a.filter_map(Result::ok)
}

/// Raw (still escaped) value of the attribute with this local name.
pub(super) fn attr<'e>(e: &'e BytesStart<'_>, local: &str) -> Option<Cow<'e, str>> {
    attrs(e)
        .find(|a| a.key.local_name().as_ref() == local)
        .map(|a| a.value)
}

/// Unescaped value of the attribute with this local name.
pub(super) fn attr_text(e: &BytesStart<'_>, local: &str) -> Option<String> {
    attrs(e)
        .find(|a| a.key.local_name().as_ref() == local)
        .map(
            |a| match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                Ok(v) => v.into_owned(),
                Err(_) => a.value.into_owned(),
            },
        )
}

/// An unsigned number as calamine's parsers read it (digits only, leading
/// zeros allowed); overflow reads as `u64::MAX`, to err on the safe side.
pub(super) fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u64>().unwrap_or(u64::MAX))
}

// ---------------------------------------------------------- relationships

pub(super) struct Rel {
    pub(super) id: String,
    pub(super) typ: String,
    /// The target as written (still escaped).
    pub(super) target_raw: String,
    pub(super) target: String,
}

/// A `.rels` part: the relationships it lists.
#[derive(Default)]
pub(super) struct RelsSink {
    rels: Vec<Rel>,
}

impl RelsSink {
    pub(super) fn get(&self, id: &str) -> Option<&Rel> {
        self.rels.iter().rev().find(|r| r.id == id)
    }
    pub(super) fn office_document(&self) -> Option<&Rel> {
        self.rels
            .iter()
            .rev()
            .find(|r| r.typ.ends_with("/relationships/officeDocument"))
    }
}

impl XmlSink for RelsSink {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Refusal> {
        if e.local_name().as_ref() == "Relationship" {
            if let Some(id) = attr_text(e, "Id") {
                self.rels.push(Rel {
                    id,
                    typ: attr_text(e, "Type").unwrap_or_default(),
                    target_raw: attr(e, "Target").map(Cow::into_owned).unwrap_or_default(),
                    target: attr_text(e, "Target").unwrap_or_default(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::kit::*;
    use crate::finding::Code;
    use crate::kit::handzip::{CONTENT_TYPES, PKG_RELS, WORKBOOK_RELS};

    #[test]
    fn deep_nesting_in_a_part_the_pre_scan_parses_is_s06() {
        let deep = |depth: usize| {
            let wb = format!(
                r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="基本信息" sheetId="1" r:id="rId1"/></sheets>{}{}</workbook>"#,
                "<x>".repeat(depth),
                "</x>".repeat(depth)
            );
            zip_of(&[
                ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
                ("_rels/.rels", PKG_RELS.as_bytes()),
                ("xl/workbook.xml", wb.as_bytes()),
                ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
                ("xl/worksheets/sheet1.xml", sheet_xml("").as_bytes()),
            ])
        };
        assert!(outcome("a.xlsx", &deep(60)).is_ok());
        rejects(
            "白砂镇.xlsx",
            &deep(100),
            Code::S06,
            "部件 xl/workbook.xml 的 XML 嵌套超过 64 层",
        );
    }

    #[test]
    fn numbers_read_as_calamine_reads_them() {
        use super::parse_uint;
        assert_eq!(parse_uint("007"), Some(7));
        assert_eq!(parse_uint("99999999999999999999999"), Some(u64::MAX));
        assert_eq!(parse_uint(""), None);
        assert_eq!(parse_uint("-1"), None);
        assert_eq!(parse_uint("1e3"), None);
    }
}
