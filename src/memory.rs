//! Freed memory handed back to the system between stages: glibc keeps what
//! a stage frees (the previous period's sign rows, the roster's sheet) in
//! its heap, scattered between live rows, and the next stage's large
//! buffers then come from fresh pages, so the peak is the sum of both.
//! And glibc's many per-thread heaps (8 per core) each keep their own
//! freed holes: one heap per core is enough for our threads.

/// Give the pages that hold only freed memory back to the system
/// (`malloc_trim`). Nothing on platforms without glibc.
pub(crate) fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it
    // takes no pointer and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// One malloc heap (arena) per core instead of glibc's default of eight
/// per core: each heap keeps its own freed holes, and the reader threads,
/// polars' pool and the three writer threads otherwise spread over up to
/// sixteen of them. Measured at N = 2500 (the bench workspace, single runs):
/// peak 424 → 356 MB, time unchanged (one heap was 25 % slower). Call
/// first thing in `main`, before any thread starts; a `MALLOC_ARENA_MAX`
/// set by the user wins. Nothing on platforms without glibc.
pub fn fewer_heaps() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let heaps = libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets a tunable of the allocator; called
        // before other threads exist, it races with no allocation.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, heaps);
        }
    }
}
