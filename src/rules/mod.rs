//! The rules of `rules.md` that look at a return's content, one file per
//! family; each pushes `Finding`s and none stops the others. The rule table
//! itself (codes, levels, titles) is `crate::finding::RULES`.

pub(crate) mod cover;
pub(crate) mod duty;
pub(crate) mod period;
pub(crate) mod returns;
pub(crate) mod rooms;
pub(crate) mod signs;
pub(crate) mod stars;

use crate::finding::Finding;
use crate::model::Return;
use crate::policy::Policy;
use crate::read::normalise::clean;
use std::collections::BTreeMap;

/// One village of the roster (名册).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RosterEntry {
    pub township_code: String,
    pub township_name: String,
    pub village_code: String,
    pub village_name: String,
}

/// The roster, indexed for the rules: its villages in one list sorted by
/// code (a province's roster has half a million; a map keyed by a copy of
/// each code, and a second copy per township, cost twice the list).
#[derive(Clone, Debug, Default)]
pub struct Roster {
    /// By village code, one entry per code.
    villages: Vec<RosterEntry>,
    /// Township code → name.
    pub townships: BTreeMap<String, String>,
    /// Township code → its villages' places in `villages`, in code order
    /// (a return's check looks up its own township's villages, not the
    /// whole roster).
    by_township: BTreeMap<String, Vec<u32>>,
}

impl Roster {
    /// A code listed twice keeps its last entry.
    pub(crate) fn new(entries: impl IntoIterator<Item = RosterEntry>) -> Roster {
        let mut villages: Vec<RosterEntry> = entries.into_iter().collect();
        // Stable: of one code, the last entry given is the last here.
        villages.sort_by(|a, b| a.village_code.cmp(&b.village_code));
        let mut kept: Vec<RosterEntry> = Vec::with_capacity(villages.len());
        for e in villages {
            match kept.last_mut() {
                Some(last) if last.village_code == e.village_code => *last = e,
                _ => kept.push(e),
            }
        }
        kept.shrink_to_fit();
        let mut r = Roster {
            villages: kept,
            ..Roster::default()
        };
        for (i, v) in r.villages.iter().enumerate() {
            r.townships
                .entry(v.township_code.clone())
                .or_insert_with(|| clean(&v.township_name));
            r.by_township
                .entry(v.township_code.clone())
                .or_default()
                .push(i as u32);
        }
        r
    }

    /// The roster's entry of a village code.
    pub(crate) fn get(&self, code: &str) -> Option<&RosterEntry> {
        self.villages
            .binary_search_by(|v| v.village_code.as_str().cmp(code))
            .ok()
            .map(|i| &self.villages[i])
    }

    pub(crate) fn contains(&self, code: &str) -> bool {
        self.get(code).is_some()
    }

    /// Every village, by code.
    pub(crate) fn villages(&self) -> &[RosterEntry] {
        &self.villages
    }

    /// The roster's villages of one township, by code.
    pub(crate) fn villages_of<'a>(
        &'a self,
        township: &'a str,
    ) -> impl Iterator<Item = &'a RosterEntry> + 'a {
        self.by_township
            .get(township)
            .into_iter()
            .flatten()
            .map(|i| &self.villages[*i as usize])
    }
}

/// What the rules may look at beside the return itself.
pub struct Context<'a> {
    pub policy: &'a Policy,
    /// The code of the office that consolidates (county, city or province).
    pub office_code: Option<&'a str>,
    pub roster: Option<&'a Roster>,
    /// The township's return of the previous period, when there is one.
    pub previous: Option<&'a Return>,
    /// Village code → (township code, township name) as the other returns
    /// of the period place it; names the township in V06 without a roster.
    /// Read only where there is no roster: a batch checks each return as
    /// it is read when there is one (`ingest::Setup::placements_matter`).
    pub placements: Option<&'a Placements>,
}

/// Where the returns of a period place each village code.
pub(crate) type Placements = BTreeMap<String, (String, String)>;

/// Villages of readable returns, each under its own township's code.
pub(crate) fn placements<'a>(
    files: impl IntoIterator<Item = &'a crate::model::Loaded>,
) -> Placements {
    let mut out = Placements::new();
    for l in files {
        let (Some(ret), Some(town)) = (&l.ret, l.township_code()) else {
            continue;
        };
        let name = ret.cover.township.clone().unwrap_or_default();
        for t in ret.tables.iter().filter(|t| t.spec.per_village) {
            for r in &t.rows {
                if let Some(code) = t.code(r).filter(|c| c.starts_with(town)) {
                    out.entry(code.to_string())
                        .or_insert_with(|| (town.to_string(), name.clone()));
                }
            }
        }
    }
    out
}

/// Run every single-return rule family over a return that has no fatal
/// finding.
pub(crate) fn check(ret: &Return, ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    cover::check(ret, ctx, &mut out);
    returns::check(ret, ctx, &mut out);
    signs::check(ret, ctx, &mut out);
    rooms::check(ret, ctx, &mut out);
    duty::check(ret, ctx, &mut out);
    stars::check(ret, ctx, &mut out);
    period::check(ret, ctx, &mut out);
    period::suppress(&mut out);
    out
}

/// Complete a loaded file's findings: run the rules over its return, mark
/// explained warnings, stamp file and township, and sort.
pub fn check_loaded(loaded: &mut crate::model::Loaded, ctx: &Context) {
    loaded.findings = completed(loaded, ctx);
}

/// The findings [`check_loaded`] would leave on `loaded`, leaving it as it
/// is.
pub(crate) fn completed(loaded: &crate::model::Loaded, ctx: &Context) -> Vec<Finding> {
    let mut all = loaded.findings.clone();
    if let Some(ret) = &loaded.ret {
        let mut found = check(ret, ctx);
        crate::finding::stamp(&mut found, &loaded.file, ret.cover.township_code.as_deref());
        all.extend(found);
        crate::read::apply_explanations(
            &mut all,
            &ret.explanations,
            ret.cover.township_code.as_deref(),
        );
    }
    crate::finding::sort(&mut all);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(town: &str, village: &str) -> RosterEntry {
        RosterEntry {
            township_code: town.to_string(),
            township_name: format!("乡{town}"),
            village_code: village.to_string(),
            village_name: format!("村{village}"),
        }
    }

    #[test]
    fn villages_of_a_township_in_code_order() {
        // Given out of order and interleaved; a code listed twice keeps
        // its last entry (here moved to the other township).
        let r = Roster::new([
            entry("990101102", "990101102202"),
            entry("990101101", "990101101203"),
            entry("990101102", "990101102201"),
            entry("990101101", "990101101201"),
            entry("990101101", "990101102203"),
            entry("990101102", "990101102203"),
        ]);
        let of = |t: &'static str| -> Vec<String> {
            r.villages_of(t).map(|v| v.village_code.clone()).collect()
        };
        assert_eq!(of("990101101"), ["990101101201", "990101101203"]);
        assert_eq!(
            of("990101102"),
            ["990101102201", "990101102202", "990101102203"]
        );
        assert!(of("990101199").is_empty());
        assert_eq!(r.villages().len(), 5);
        assert_eq!(
            r.get("990101102203").map(|v| v.township_code.as_str()),
            Some("990101102")
        );
        assert!(r.contains("990101101201"));
        assert!(!r.contains("990101101202"));
        assert_eq!(r.townships.len(), 2);
    }
}
