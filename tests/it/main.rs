//! The one integration test binary: runs the real `huizong` binary in temp
//! work folders and reads what it writes with calamine.

mod cli;
mod common;
mod consolidate;
mod county;
mod feedback;
mod hostile;
mod interop;
mod mutate;
mod mutation;
mod print;
mod rules;
mod samples;
mod serve;
mod serve_browser;
mod serve_live;
mod template;
mod tiers;
