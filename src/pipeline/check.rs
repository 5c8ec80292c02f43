//! One return checked on its own, the way a period's consolidation would
//! check it (H rules only against a given previous return): `huizong check`
//! and the reporting service's upload check are this one function, so a
//! township sees the same findings wherever it checks.

use crate::model::{Loaded, Return};
use crate::policy::Policy;
use crate::read::normalise::Period;
use crate::rules::{self, Context, Roster};
use std::path::Path;

/// What a single-file check compares a return with.
pub struct Checker<'a> {
    pub policy: &'a Policy,
    pub roster: Option<&'a Roster>,
    /// The township's previous return, cut to what the H rules need
    /// ([`previous_return`]).
    pub previous: Option<&'a Return>,
    /// The period the return must be for (C03), when one is given.
    pub period: Option<Period>,
}

impl Checker<'_> {
    /// Read and check one file; its cells are kept for a feedback workbook.
    pub fn check_file(&self, path: &Path) -> Loaded {
        let mut loaded = crate::read::read_file(path, self.policy, self.period);
        self.check_loaded(&mut loaded);
        loaded
    }

    /// Read and check a file's bytes already in memory (an upload); `path`
    /// is where it is kept, `file` the name it is shown by.
    pub fn check_bytes(&self, file: &str, path: &Path, bytes: &[u8]) -> Loaded {
        let mut loaded = crate::read::read_bytes(file, path, bytes, self.policy, self.period);
        self.check_loaded(&mut loaded);
        loaded
    }

    /// Run the rules over a file already read.
    pub fn check_loaded(&self, loaded: &mut Loaded) {
        let ctx = Context {
            policy: self.policy,
            office_code: None,
            roster: self.roster,
            previous: self.previous,
            placements: None,
        };
        rules::check_loaded(loaded, &ctx);
    }
}

/// A previous return read for its figures only, cut as a consolidation cuts
/// a previous period's returns; `None` when it cannot be read (it then
/// gives no baseline).
pub fn previous_return(path: &Path, policy: &Policy) -> Option<Return> {
    let loaded = crate::read::read_file(path, policy, None);
    loaded.ret.map(|mut ret| {
        ret.keep_for_comparison();
        ret
    })
}
