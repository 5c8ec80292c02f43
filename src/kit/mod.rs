//! The test kit: seeded sample data, the sample and benchmark workspace
//! generator and hand-made hostile zips. Built only for tests, benches, the
//! fuzzer and `huizong-samples` (feature `kit`), so the tool itself carries
//! none of it and the compiler sees what the tool really uses.

pub mod demo;
pub mod handzip;
pub mod samples;
