//! Shared formats: headers, fills for errors and warnings, number formats.
