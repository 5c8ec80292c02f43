//! The county's policy (the rules file): star weights and thresholds, money,
//! caps, limits and the sign catalogue — loaded strictly, never defaulted.

use crate::finding::Code;
use crate::read::normalise::sign_key;
use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

/// The shipped default policy, also at `templates/rules.toml`.
pub const DEFAULT_RULES: &str = include_str!("../templates/rules.toml");

#[derive(Debug, thiserror::Error)]
pub(crate) enum PolicyError {
    #[error("无法读取规则文件 {path}:{source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("规则文件 {path} 有误:{message}")]
    Invalid { path: String, message: String },
}

/// A number in the rules file: TOML integer or float, kept as an exact decimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Num(pub Decimal);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Num, E> {
                Ok(Num(Decimal::from(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Num, E> {
                Ok(Num(Decimal::from(v)))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Num, E> {
                // Shortest round-trip text of the double: 0.3 stays 0.3.
                Decimal::from_str(&format!("{v}"))
                    .map(Num)
                    .map_err(|_| E::custom(format!("数字 {v} 无法表示")))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    version: String,
    star: RawStar,
    funding: RawFunding,
    limits: Limits,
    sign: Vec<Sign>,
    negative: Vec<NegativeSign>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStar {
    weights: Weights,
    thresholds: BTreeMap<String, Num>,
    caps: BTreeMap<String, u8>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub representatives: Num,
    pub township: Num,
    pub county: Num,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunding {
    per_star: BTreeMap<String, i64>,
    round_to: i64,
}

/// The numeric limits used by S06 and the warnings.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max_file_mb: u64,
    pub max_rows: u64,
    pub max_inflated_mb: u64,
    pub max_wall_rules: i64,
    pub max_room_signs: i64,
    pub max_office_share: Num,
    pub max_area_per_room: Num,
    pub cadres_min: i64,
    pub cadres_max: i64,
    pub max_per_activity: i64,
    pub max_swing: Num,
}

impl Limits {
    /// Limits for the county's own files (roster, county scores): one row
    /// per village of the whole office, so a province's file passes the row
    /// and size limits meant for one township's return; the pre-scan's fixed
    /// guards (depth, inflation ratio, text expansion) still hold. The row
    /// limit is twice Excel's sheet so that the cell budget, which follows
    /// it at four cells a row, holds a province's six-column roster (760,000
    /// villages); no sheet can have more rows than Excel's anyway.
    pub(crate) fn for_county_files(&self) -> Limits {
        Limits {
            max_rows: self.max_rows.max(2 * 1_048_576),
            max_file_mb: self.max_file_mb.max(20) * 10,
            max_inflated_mb: self.max_inflated_mb.max(200) * 10,
            ..self.clone()
        }
    }
}

/// A catalogue entry (挂牌指导目录).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Sign {
    pub name: String,
    pub aliases: Vec<String>,
    pub category: String,
}

/// A negative-list entry (负面清单).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NegativeSign {
    pub name: String,
    pub aliases: Vec<String>,
}

/// Which list a sign name matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignMatch {
    Catalogue(usize),
    Negative(usize),
}

/// The policy in force.
#[derive(Clone, Debug)]
pub struct Policy {
    pub version: String,
    pub weights: Weights,
    /// Star → lowest composite score, for stars 1..=5 (index 0 is star 1).
    pub thresholds: [Decimal; 5],
    pub caps: BTreeMap<Code, u8>,
    /// Yuan per star 0..=5.
    pub per_star: [i64; 6],
    pub round_to: i64,
    pub limits: Limits,
    pub signs: Vec<Sign>,
    pub negative: Vec<NegativeSign>,
    /// Distinct catalogue categories, in first-seen order.
    pub categories: Vec<String>,
    /// Where it came from (a path, or "内置默认规则").
    pub source: String,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    /// Normalised names and aliases → the entry they name (the negative
    /// list's where a key is on both lists).
    matchers: std::collections::HashMap<String, SignMatch>,
    /// The longest key of `matchers`, in bytes: no longer suffix can match.
    longest_key: usize,
}

/// A workspace's own policy file.
pub const WORKSPACE_RULES_FILE: &str = "rules.toml";

impl Policy {
    /// The shipped default rules.
    pub fn default_rules() -> Policy {
        Policy::parse(DEFAULT_RULES, "内置默认规则(templates/rules.toml)")
            .expect("the shipped templates/rules.toml is valid")
    }

    /// The policy in force (`outputs.md` "Workspace rules"): the file given
    /// with `--rules`; else the workspace's own `rules.toml`, named by a
    /// label that does not depend on where the workspace lives; else the
    /// shipped default.
    pub(crate) fn in_force(
        given: Option<&Path>,
        workspace: Option<&Path>,
    ) -> Result<Policy, PolicyError> {
        if let Some(p) = given {
            return Policy::load(p);
        }
        match workspace.map(|w| w.join(WORKSPACE_RULES_FILE)) {
            Some(p) if p.is_file() => {
                let mut policy = Policy::load(&p)?;
                policy.source = format!("工作区的规则文件 {WORKSPACE_RULES_FILE}");
                Ok(policy)
            }
            _ => Ok(Policy::default_rules()),
        }
    }

    /// Load a rules file strictly (every key required, none unknown).
    pub(crate) fn load(path: &Path) -> Result<Policy, PolicyError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            path: shown.clone(),
            source,
        })?;
        Policy::parse(&text, &shown)
    }

    pub(crate) fn parse(text: &str, source: &str) -> Result<Policy, PolicyError> {
        let invalid = |message: String| PolicyError::Invalid {
            path: source.to_string(),
            message,
        };
        let raw: RawPolicy = toml::from_str(text).map_err(|e| invalid(toml_message(text, &e)))?;

        let w = &raw.star.weights;
        let sum = w.representatives.0 + w.township.0 + w.county.0;
        if sum != Decimal::ONE {
            return Err(invalid(format!(
                "键 `star.weights` 的三个权重之和为 {sum},应正好为 1"
            )));
        }
        for (k, v) in [
            ("representatives", w.representatives),
            ("township", w.township),
            ("county", w.county),
        ] {
            if v.0 < Decimal::ZERO {
                return Err(invalid(format!("键 `star.weights.{k}` 不能为负数")));
            }
        }

        let mut thresholds = [Decimal::ZERO; 5];
        check_keys(&raw.star.thresholds, 1..=5, "star.thresholds").map_err(invalid)?;
        for star in 1..=5u8 {
            thresholds[star as usize - 1] = raw.star.thresholds[&star.to_string()].0;
        }
        for star in 1..5usize {
            if thresholds[star] <= thresholds[star - 1] {
                return Err(invalid(format!(
                    "键 `star.thresholds` 的门槛须随星级升高:{}星 {} 不高于 {}星 {}",
                    star + 1,
                    thresholds[star],
                    star,
                    thresholds[star - 1]
                )));
            }
        }
        if thresholds[0] < Decimal::ZERO || thresholds[4] > Decimal::from(100) {
            return Err(invalid(
                "键 `star.thresholds` 的门槛须在 0 到 100 之间".into(),
            ));
        }

        let mut caps = BTreeMap::new();
        for (k, v) in &raw.star.caps {
            let code = Code::parse(k)
                .ok_or_else(|| invalid(format!("键 `star.caps.{k}`:{k} 不是规则编号")))?;
            if *v > 5 {
                return Err(invalid(format!("键 `star.caps.{k}` 须为 0 到 5 的星级")));
            }
            caps.insert(code, *v);
        }

        check_keys(&raw.funding.per_star, 0..=5, "funding.per_star").map_err(invalid)?;
        let mut per_star = [0i64; 6];
        for star in 0..=5u8 {
            let v = raw.funding.per_star[&star.to_string()];
            if v < 0 {
                return Err(invalid(format!(
                    "键 `funding.per_star.\"{star}\"` 不能为负数"
                )));
            }
            per_star[star as usize] = v;
        }
        if raw.funding.round_to < 1 {
            return Err(invalid("键 `funding.round_to` 须为正整数(元)".into()));
        }

        let l = &raw.limits;
        if l.cadres_min > l.cadres_max {
            return Err(invalid(
                "键 `limits.cadres_min` 不能大于 `limits.cadres_max`".into(),
            ));
        }
        for (k, v) in [
            ("max_office_share", l.max_office_share),
            ("max_swing", l.max_swing),
        ] {
            if v.0 < Decimal::ZERO {
                return Err(invalid(format!("键 `limits.{k}` 不能为负数")));
            }
        }

        let mut categories: Vec<String> = Vec::new();
        for (i, s) in raw.sign.iter().enumerate() {
            if sign_key(&s.name).is_empty() {
                return Err(invalid(format!(
                    "第 {} 个 [[sign]] 的键 `name` 为空",
                    i + 1
                )));
            }
            if s.category.trim().is_empty() {
                return Err(invalid(format!(
                    "[[sign]] “{}” 的键 `category` 为空",
                    s.name
                )));
            }
            if !categories.contains(&s.category) {
                categories.push(s.category.clone());
            }
        }
        for (i, s) in raw.negative.iter().enumerate() {
            if sign_key(&s.name).is_empty() {
                return Err(invalid(format!(
                    "第 {} 个 [[negative]] 的键 `name` 为空",
                    i + 1
                )));
            }
        }

        let mut matchers = Vec::new();
        for (i, s) in raw.sign.iter().enumerate() {
            for n in std::iter::once(&s.name).chain(&s.aliases) {
                matchers.push((sign_key(n), SignMatch::Catalogue(i)));
            }
        }
        for (i, s) in raw.negative.iter().enumerate() {
            for n in std::iter::once(&s.name).chain(&s.aliases) {
                matchers.push((sign_key(n), SignMatch::Negative(i)));
            }
        }
        matchers.retain(|(k, _)| !k.is_empty());
        // Where a key names two entries: the negative list's, else the first.
        let mut by_key = std::collections::HashMap::new();
        for (k, m) in matchers {
            let e = by_key.entry(k).or_insert(m);
            if matches!(m, SignMatch::Negative(_)) && !matches!(*e, SignMatch::Negative(_)) {
                *e = m;
            }
        }
        let matchers = by_key;
        let longest_key = matchers.keys().map(String::len).max().unwrap_or(0);

        let sha256 = hex(&Sha256::digest(text.as_bytes()));
        Ok(Policy {
            version: raw.version,
            weights: raw.star.weights,
            thresholds,
            caps,
            per_star,
            round_to: raw.funding.round_to,
            limits: raw.limits,
            signs: raw.sign,
            negative: raw.negative,
            categories,
            source: source.to_string(),
            sha256,
            matchers,
            longest_key,
        })
    }

    /// Match a sign name against the catalogue and the negative list: the
    /// normalised name equals or ends with an entry's name or alias; the
    /// longest match wins, on a tie the negative list.
    pub fn match_sign(&self, name: &str) -> Option<SignMatch> {
        let key = sign_key(name);
        // The key's suffixes, longest first: the first that is a name or an
        // alias is the longest match. Only suffixes as short as the longest
        // name can match: a 40,000-character 标牌名称 costs as much as a
        // short one, not one hash of each of its 40,000 suffixes.
        let from = (key.len().saturating_sub(self.longest_key)..=key.len())
            .find(|i| key.is_char_boundary(*i))
            .unwrap_or(key.len());
        key[from..]
            .char_indices()
            .find_map(|(i, _)| self.matchers.get(&key[from + i..]))
            .copied()
    }

    #[cfg(test)]
    /// The name of a matched entry, as the catalogue writes it.
    pub(crate) fn entry_name(&self, m: SignMatch) -> &str {
        match m {
            SignMatch::Catalogue(i) => &self.signs[i].name,
            SignMatch::Negative(i) => &self.negative[i].name,
        }
    }
}

fn check_keys<V>(
    map: &BTreeMap<String, V>,
    stars: std::ops::RangeInclusive<u8>,
    key: &str,
) -> Result<(), String> {
    for star in stars.clone() {
        if !map.contains_key(&star.to_string()) {
            return Err(format!("缺少键 `{key}.\"{star}\"`"));
        }
    }
    for k in map.keys() {
        let ok = k.parse::<u8>().map(|s| stars.contains(&s)).unwrap_or(false);
        if !ok {
            return Err(format!(
                "未知的键 `{key}.\"{k}\"`(星级只能是 {} 到 {})",
                stars.start(),
                stars.end()
            ));
        }
    }
    Ok(())
}

/// Turn a toml/serde error into Chinese, naming the key and the line.
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let raw = e.message();
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
    let tick = |s: &str| s.split('`').nth(1).unwrap_or("").to_string();
    let what = if raw.starts_with("missing field") {
        format!("缺少键 `{}`", tick(raw))
    } else if raw.starts_with("unknown field") {
        format!("未知的键 `{}`", tick(raw))
    } else if raw.starts_with("invalid type") {
        format!("值的类型不对({raw})")
    } else {
        format!("格式错误({raw})")
    };
    match line {
        Some(l) => format!("第 {l} 行附近:{what}"),
        None => what,
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_load_and_match_signs() {
        let p = Policy::default_rules();
        assert_eq!(p.version, "2025.1");
        assert_eq!(p.thresholds[4], Decimal::from(90));
        assert_eq!(p.per_star[5], 50000);
        assert_eq!(p.caps.get(&Code::P03), Some(&2));
        let m = p.match_sign("樟黄村村民委员会").expect("matches");
        assert_eq!(p.entry_name(m), "村民委员会");
        let m = p.match_sign(" 廉洁 工作站 ").expect("matches");
        assert!(matches!(m, SignMatch::Negative(_)));
        assert_eq!(p.match_sign("某某协会"), None);
        assert!(p.categories.len() >= 8, "{:?}", p.categories);
    }

    #[test]
    fn longest_name_wins_and_a_tie_goes_to_the_negative_list() {
        // "工作站" on the catalogue, "廉洁工作站" on the negative list: the
        // longer wins either way round; a key on both lists is negative.
        let text = format!(
            "{DEFAULT_RULES}\n[[sign]]\nname = \"工作站\"\naliases = [\"食安工作站\"]\ncategory = \"服务阵地\"\n"
        );
        let p = Policy::parse(&text, "t.toml").unwrap();
        let short = p.match_sign("樟黄村科普工作站").expect("matches");
        assert_eq!(p.entry_name(short), "工作站");
        assert!(matches!(short, SignMatch::Catalogue(_)));
        let long = p.match_sign("樟黄村廉洁工作站").expect("matches");
        assert_eq!(p.entry_name(long), "廉洁工作站");
        let tie = p.match_sign("樟黄村食安工作站").expect("matches");
        assert_eq!(p.entry_name(tie), "食品安全工作站");
        assert_eq!(p.match_sign("工作"), None);
        // A name far longer than any entry still matches by its end (the
        // fuzzer's 40,000-character name took minutes when every suffix
        // was looked up).
        let very_long = format!("{}村民委员会", "樟".repeat(40_000));
        let m = p.match_sign(&very_long).expect("matches");
        assert_eq!(p.entry_name(m), "村民委员会");
        assert_eq!(p.match_sign(&"樟".repeat(40_000)), None);
    }

    fn with_replaced(from: &str, to: &str) -> Result<Policy, PolicyError> {
        assert!(DEFAULT_RULES.contains(from), "{from}");
        Policy::parse(&DEFAULT_RULES.replacen(from, to, 1), "t.toml")
    }

    #[test]
    fn missing_unknown_and_inconsistent_keys_are_named() {
        let e = with_replaced("round_to = 100\n", "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("缺少键 `round_to`"), "{e}");
        let e = with_replaced("round_to = 100\n", "round_to = 100\nbonus = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("未知的键 `bonus`"), "{e}");
        let e = with_replaced("county = 0.4", "county = 0.5")
            .unwrap_err()
            .to_string();
        assert!(e.contains("star.weights") && e.contains("1.1"), "{e}");
        let e = with_replaced("\"4\" = 80", "\"4\" = 95")
            .unwrap_err()
            .to_string();
        assert!(e.contains("star.thresholds"), "{e}");
        let e = with_replaced("P03 = 2", "P99 = 2").unwrap_err().to_string();
        assert!(e.contains("star.caps.P99"), "{e}");
    }
}
