//! Atomic saves: a temporary file in the target folder renamed into place.
