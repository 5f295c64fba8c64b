//! What Loam asks of the operating system beyond the standard library, each behind a `cfg` with a portable
//! fallback: Loam is developed on Linux, and these calls are the only ones that would keep it from building on
//! macOS or Windows.

use std::path::Path;

/// Lowers the calling thread's scheduling priority (nice 10), so that background work (recording, the preview's
/// search index) yields the CPU to the pages a reader waits for. Linux gives each thread its own nice value; where
/// a priority is the whole process's, nothing changes.
pub fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid has no preconditions; setpriority on this thread's id changes only this thread's priority.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 10);
    }
}

/// Flushes to the disk the files written in the folder `dir` (its direct entries, and the folder itself where that
/// can be flushed). Linux flushes the whole file system at once (`syncfs`), which is much quicker than one flush
/// per file after an import of thousands; elsewhere each file is flushed.
pub fn flush_folder(dir: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let folder = std::fs::File::open(dir)?;
        // SAFETY: syncfs only reads the descriptor, which `folder` keeps open for the call.
        if unsafe { libc::syncfs(std::os::fd::AsRawFd::as_raw_fd(&folder)) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::OpenOptions::new().write(true).open(entry.path())?.sync_all()?;
            }
        }
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    }
}

/// User and system CPU time of the whole process so far, in seconds; zeros where it is not known.
pub fn cpu_seconds() -> (f64, f64) {
    #[cfg(unix)]
    {
        // SAFETY: getrusage writes only into the struct it is given, which is plain data valid when zeroed.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_SELF, &mut usage);
            usage
        };
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        (seconds(usage.ru_utime), seconds(usage.ru_stime))
    }
    #[cfg(not(unix))]
    {
        (0.0, 0.0)
    }
}

/// Hands the memory that the threads of the shared pool and the calling thread have freed back to the system.
/// The `loam` binary allocates with mimalloc (`main.rs`), which keeps each thread's freed pages with that thread
/// until it allocates again: after a build, the pool's idle threads would hold a few hundred megabytes of a
/// 10,000-note garden's temporaries for good. Where mimalloc is not the allocator (the tests), this does nothing.
pub fn give_back_freed_memory() {
    // SAFETY: mi_collect only walks the calling thread's own mimalloc heap (doing nothing when that thread never
    // allocated with mimalloc) and frees pages with no block in use; it takes no pointer.
    let collect = || unsafe { libmimalloc_sys::mi_collect(true) };
    rayon::broadcast(|_| collect());
    collect();
}

/// For a process that stays running (`loam serve`): no transparent huge pages. mimalloc asks for them for its
/// arenas, and a huge page is resident whole, 2 MiB at a time, however little of it is in use: a preview of a
/// 10,000-note garden held 338 MiB, 264 of them in huge pages, for under 200 MiB of live data; without them,
/// 254 MiB. One-shot commands keep them (a build spends about 8% less CPU time with them) and soon end anyway.
pub fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process's memory map; it takes no pointer. It can fail
    // only on a kernel without it, where there is nothing to do.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// The process's resident memory now, in MiB; 0 where `/proc` does not tell.
pub fn resident_mib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096 / (1024 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_flushed_and_a_missing_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"x").unwrap();
        flush_folder(dir.path()).unwrap();
        assert!(flush_folder(&dir.path().join("missing")).is_err());
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_staying_process_asks_for_no_huge_pages() {
        let thp = || {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            status.lines().find_map(|line| line.strip_prefix("THP_enabled:").map(|v| v.trim().to_string()))
        };
        // Kernels before 5.0 do not say; there is nothing to check there.
        if thp().is_some() {
            no_huge_pages();
            assert_eq!(thp().as_deref(), Some("0"));
        }
    }
}
