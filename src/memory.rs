//! Where the program's memory comes from. Beside parsing and writing XML,
//! a month spends its time allocating and freeing small things: the
//! strings of the cells read and written, findings and their messages.
//! glibc's malloc took 8 % of a clean month's processor time and 12 % of a
//! month with findings. jemalloc, with one arena per core, does the same
//! month 5–14 % faster at the same or a lower peak (README “性能”). It is
//! the global allocator everywhere but on Windows, which keeps the
//! system's.

#[cfg(not(windows))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read once before the first allocation (a
/// `_RJEM_MALLOC_CONF` in the environment is read after, so it wins).
/// One arena per core instead of four: each arena keeps its own freed
/// pages, and at N = 2500 four per core raised the peak by a fifth (225 →
/// 275 MB) where one per core keeps it where glibc had it. Freed pages go
/// back to the system after a second instead of ten, so one stage's freed
/// memory is not still held when the next one peaks.
#[cfg(not(windows))]
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: ConfString = ConfString(CONF.as_ptr());

#[cfg(all(not(windows), target_os = "linux"))]
const CONF: &std::ffi::CStr = c"percpu_arena:percpu,dirty_decay_ms:1000";
/// `percpu_arena` needs Linux's `sched_getcpu`.
#[cfg(all(not(windows), not(target_os = "linux")))]
const CONF: &std::ffi::CStr = c"dirty_decay_ms:1000";

/// A C string's address, as jemalloc's `const char *malloc_conf` is.
#[cfg(not(windows))]
#[repr(transparent)]
struct ConfString(*const std::ffi::c_char);

// SAFETY: the pointer is to a constant, never written.
#[cfg(not(windows))]
unsafe impl Sync for ConfString {}

/// Give the pages that hold only freed memory back to the system now,
/// between stages: the next stage's peak then does not sit on top of the
/// last one's leftovers (N = 2500: 223–232 MB without, 201–208 MB with).
/// Nothing on Windows.
pub(crate) fn release_freed() {
    #[cfg(not(windows))]
    {
        // `arena.<MALLCTL_ARENAS_ALL>.purge`: every arena at once.
        // SAFETY: a purge reads and writes nothing through the pointers
        // (all null, length 0); the name is a C string.
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                c"arena.4096.purge".as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
            )
        };
        debug_assert_eq!(rc, 0, "jemalloc purge");
    }
}

#[cfg(all(test, not(windows)))]
mod tests {
    /// jemalloc read the settings the program gives it (one arena per
    /// core, a one-second decay), and takes the purge `release_freed`
    /// asks for (its `debug_assert` checks the answer).
    #[test]
    fn jemalloc_runs_with_its_settings() {
        let read = |name: &std::ffi::CStr| -> isize {
            let mut v: isize = 0;
            let mut len = std::mem::size_of::<isize>();
            // SAFETY: `v` is as large as `len` says; the name is a C string.
            let rc = unsafe {
                tikv_jemalloc_sys::mallctl(
                    name.as_ptr(),
                    (&mut v as *mut isize).cast(),
                    &mut len,
                    std::ptr::null_mut(),
                    0,
                )
            };
            assert_eq!(rc, 0, "{name:?}");
            v
        };
        assert_eq!(read(c"opt.dirty_decay_ms"), 1000);
        #[cfg(target_os = "linux")]
        {
            let mut mode: *const std::ffi::c_char = std::ptr::null();
            let mut len = std::mem::size_of::<*const std::ffi::c_char>();
            // SAFETY: jemalloc writes one `const char *` into `mode`.
            let rc = unsafe {
                tikv_jemalloc_sys::mallctl(
                    c"opt.percpu_arena".as_ptr(),
                    (&mut mode as *mut *const std::ffi::c_char).cast(),
                    &mut len,
                    std::ptr::null_mut(),
                    0,
                )
            };
            assert_eq!(rc, 0);
            // SAFETY: jemalloc returned a pointer to its own constant string.
            let mode = unsafe { std::ffi::CStr::from_ptr(mode) };
            assert_eq!(mode.to_str(), Ok("percpu"));
        }
        super::release_freed();
    }
}
