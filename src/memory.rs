//! Freed memory handed back to the system between stages: glibc keeps what
//! a stage frees (the previous period's sign rows, the roster's sheet) in
//! its heap, scattered between live rows, and the next stage's large
//! buffers then come from fresh pages, so the peak is the sum of both.

/// Give the pages that hold only freed memory back to the system
/// (`malloc_trim`). Nothing on platforms without glibc.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it
    // takes no pointer and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
