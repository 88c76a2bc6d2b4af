//! System-call layer: netlink sockets (netlink(7)), poll(2), recvmmsg(2), sendmmsg(2).
//! Nothing here knows about Node-API or about Open vSwitch.

use std::cell::RefCell;
use std::io;
use std::mem;
use std::ptr;

use libc::{c_int, c_void, sockaddr, sockaddr_nl, socklen_t};

/// A failed system call: positive `errno` and the call's name.
pub struct SysError {
    pub errno: i32,
    pub syscall: &'static str,
    /// Extra text for the message (e.g. a truncated datagram's size).
    pub detail: Option<String>,
}

impl SysError {
    /// Captures `errno` right after `syscall` failed.
    fn last(syscall: &'static str) -> Self {
        SysError {
            errno: io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
            syscall,
            detail: None,
        }
    }

    /// The errno's symbolic name, as in `<asm-generic/errno.h>` (and Node's `os.constants.errno`).
    pub fn code(&self) -> &'static str {
        errno_name(self.errno)
    }

    /// `"<syscall> failed: <strerror> (<CODE>)[: detail]"`.
    pub fn message(&self) -> String {
        let text = io::Error::from_raw_os_error(self.errno).to_string();
        let text = match text.find(" (os error") {
            Some(i) => &text[..i],
            None => &text[..],
        };
        match &self.detail {
            Some(d) => format!("{} failed: {} ({}): {}", self.syscall, text, self.code(), d),
            None => format!("{} failed: {} ({})", self.syscall, text, self.code()),
        }
    }
}

pub type SysResult<T> = Result<T, SysError>;

macro_rules! errno_names {
    ($($name:ident),* $(,)?) => {
        fn errno_name(e: i32) -> &'static str {
            $(if e == libc::$name { return stringify!($name); })*
            "EUNKNOWN"
        }
    };
}

// The errnos a netlink socket or the kernel datapath can report, plus the common rest.
errno_names!(
    EPERM,
    ENOENT,
    ESRCH,
    EINTR,
    EIO,
    ENXIO,
    E2BIG,
    EBADF,
    EAGAIN,
    ENOMEM,
    EACCES,
    EFAULT,
    EBUSY,
    EEXIST,
    EXDEV,
    ENODEV,
    ENOTDIR,
    EISDIR,
    EINVAL,
    ENFILE,
    EMFILE,
    ENOTTY,
    EFBIG,
    ENOSPC,
    ESPIPE,
    EROFS,
    EMLINK,
    EPIPE,
    EDOM,
    ERANGE,
    EDEADLK,
    ENAMETOOLONG,
    ENOLCK,
    ENOSYS,
    ENOTEMPTY,
    ELOOP,
    ENOMSG,
    EIDRM,
    ENODATA,
    ETIME,
    ENOLINK,
    EPROTO,
    EBADMSG,
    EOVERFLOW,
    EILSEQ,
    ENOTSOCK,
    EDESTADDRREQ,
    EMSGSIZE,
    EPROTOTYPE,
    ENOPROTOOPT,
    EPROTONOSUPPORT,
    ESOCKTNOSUPPORT,
    EOPNOTSUPP,
    EPFNOSUPPORT,
    EAFNOSUPPORT,
    EADDRINUSE,
    EADDRNOTAVAIL,
    ENETDOWN,
    ENETUNREACH,
    ENETRESET,
    ECONNABORTED,
    ECONNRESET,
    ENOBUFS,
    EISCONN,
    ENOTCONN,
    ESHUTDOWN,
    ETIMEDOUT,
    ECONNREFUSED,
    EHOSTDOWN,
    EHOSTUNREACH,
    EALREADY,
    EINPROGRESS,
    ESTALE,
    EDQUOT,
    ECANCELED,
    EOWNERDEAD,
    ENOTRECOVERABLE,
    ERFKILL,
    EHWPOISON,
);

/// Largest datagram `recv_batch` accepts without truncation, in bytes. An upcall
/// (`OVS_PACKET_CMD_MISS`/`_ACTION`) carries the whole packet (one attribute, at most 64 KiB)
/// and, for slow-path `userspace` actions, the action list (another attribute of at most
/// 64 KiB), plus the flow key and headers: 128 KiB covers the packet and a large action list.
pub const DATAGRAM_MAX: usize = 128 * 1024;

/// Most datagrams one `recv_batch`/`send_batch` call handles (the kernel's `UIO_MAXIOV`, which
/// caps `vlen` of recvmmsg(2)/sendmmsg(2)).
pub const BATCH_MAX: usize = 1024;

fn nl_addr(pid: u32) -> sockaddr_nl {
    // SAFETY: sockaddr_nl is plain old data; all-zero is a valid value.
    let mut a: sockaddr_nl = unsafe { mem::zeroed() };
    a.nl_family = libc::AF_NETLINK as u16;
    a.nl_pid = pid;
    a
}

fn setsockopt_int(fd: c_int, level: c_int, name: c_int, value: c_int) -> SysResult<()> {
    // SAFETY: passes a pointer to a live c_int and its size.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            &value as *const c_int as *const c_void,
            mem::size_of::<c_int>() as socklen_t,
        )
    };
    if r < 0 {
        Err(SysError::last("setsockopt"))
    } else {
        Ok(())
    }
}

fn getsockopt_int(fd: c_int, level: c_int, name: c_int) -> SysResult<c_int> {
    let mut value: c_int = 0;
    let mut len = mem::size_of::<c_int>() as socklen_t;
    // SAFETY: passes a pointer to a live c_int and its size.
    let r = unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            &mut value as *mut c_int as *mut c_void,
            &mut len,
        )
    };
    if r < 0 {
        Err(SysError::last("getsockopt"))
    } else {
        Ok(value)
    }
}

/// The netlink address of socket `fd`, or `None` when `fd` is not an `AF_NETLINK` socket.
fn netlink_name(fd: c_int) -> Option<sockaddr_nl> {
    let mut a = nl_addr(0);
    let mut len = mem::size_of::<sockaddr_nl>() as socklen_t;
    // SAFETY: passes a sockaddr_nl-sized buffer and its size.
    let r = unsafe { libc::getsockname(fd, &mut a as *mut sockaddr_nl as *mut sockaddr, &mut len) };
    if r < 0
        || len as usize != mem::size_of::<sockaddr_nl>()
        || a.nl_family != libc::AF_NETLINK as u16
    {
        None
    } else {
        Some(a)
    }
}

/// Opens a netlink socket for `protocol`, bound to a kernel-assigned port id (`nl_pid` 0 in
/// bind(2), see netlink(7)); sets the receive buffer to `rcvbuf` bytes when non-zero
/// (`SO_RCVBUFFORCE`, which ignores `net.core.rmem_max` but needs CAP_NET_ADMIN, else
/// `SO_RCVBUF`); turns on `NETLINK_EXT_ACK` and `NETLINK_CAP_ACK` where the kernel has them.
/// Returns `(fd, port id)`.
pub fn open(protocol: c_int, rcvbuf: c_int) -> SysResult<(c_int, u32)> {
    // SAFETY: plain system call.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            protocol,
        )
    };
    if fd < 0 {
        return Err(SysError::last("socket"));
    }
    let setup = || -> SysResult<u32> {
        let a = nl_addr(0);
        // SAFETY: passes a sockaddr_nl and its size.
        let r = unsafe {
            libc::bind(
                fd,
                &a as *const sockaddr_nl as *const sockaddr,
                mem::size_of::<sockaddr_nl>() as socklen_t,
            )
        };
        if r < 0 {
            return Err(SysError::last("bind"));
        }
        let name = netlink_name(fd).ok_or_else(|| SysError::last("getsockname"))?;
        if rcvbuf > 0 && setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, rcvbuf).is_err()
        {
            setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, rcvbuf)?;
        }
        // Both options only shape error replies (extack TLVs; no echo of the request, which for
        // OVS_PACKET_CMD_EXECUTE would be a whole packet); older kernels lack them, which is fine.
        let _ = setsockopt_int(fd, libc::SOL_NETLINK, libc::NETLINK_EXT_ACK, 1);
        let _ = setsockopt_int(fd, libc::SOL_NETLINK, libc::NETLINK_CAP_ACK, 1);
        Ok(name.nl_pid)
    };
    match setup() {
        Ok(pid) => Ok((fd, pid)),
        Err(e) => {
            // SAFETY: fd is ours and not yet handed out.
            unsafe { libc::close(fd) };
            Err(e)
        }
    }
}

/// Per-thread receive state: the datagram buffers (reused across calls; allocated zeroed, so
/// pages the kernel never writes are never touched) and errors deferred to the next call.
struct RecvState {
    bufs: Vec<u8>,
    /// Truncation found after earlier datagrams of the same batch had been received: those are
    /// returned, and the error is reported by the next `recv_batch` on that fd.
    deferred: Vec<(c_int, SysError)>,
}

thread_local! {
    static RECV: RefCell<RecvState> = const { RefCell::new(RecvState { bufs: Vec::new(), deferred: Vec::new() }) };
}

/// Waits up to `timeout_ms` (negative: forever; 0: not at all) for `fd` to become readable
/// (poll(2)), then receives at most `max` datagrams without blocking (recvmmsg(2) with
/// `MSG_DONTWAIT`) and hands their bytes to `sink`, in arrival order.
///
/// Errors: `ENOBUFS` when the kernel dropped messages for this socket (only when no datagram
/// was received in this call: recvmmsg(2) keeps an error that follows received datagrams for
/// the next call); `EMSGSIZE` (syscall `recvmmsg`) when a datagram exceeded [`DATAGRAM_MAX`] and
/// was truncated; any other poll(2)/recvmmsg(2) error. `EINTR` is retried.
pub fn recv_batch<R>(
    fd: c_int,
    max: usize,
    timeout_ms: c_int,
    sink: impl FnOnce(&[&[u8]]) -> R,
) -> SysResult<R> {
    RECV.with(|cell| {
        let mut st = cell.borrow_mut();
        if let Some(i) = st.deferred.iter().position(|(f, _)| *f == fd) {
            return Err(st.deferred.swap_remove(i).1);
        }
        if !poll_readable(fd, timeout_ms)? {
            return Ok(sink(&[]));
        }
        if st.bufs.len() < max * DATAGRAM_MAX {
            st.bufs = vec![0u8; max * DATAGRAM_MAX];
        }
        let base = st.bufs.as_mut_ptr();
        // SAFETY: iovec/mmsghdr are plain old data; all-zero is valid.
        let mut iovs: Vec<libc::iovec> = (0..max)
            .map(|i| libc::iovec {
                iov_base: unsafe { base.add(i * DATAGRAM_MAX) } as *mut c_void,
                iov_len: DATAGRAM_MAX,
            })
            .collect();
        let mut hdrs: Vec<libc::mmsghdr> = (0..max).map(|_| unsafe { mem::zeroed() }).collect();
        for (h, iov) in hdrs.iter_mut().zip(iovs.iter_mut()) {
            h.msg_hdr.msg_iov = iov;
            h.msg_hdr.msg_iovlen = 1;
        }
        let n = loop {
            // SAFETY: hdrs/iovs point into st.bufs, which outlives the call.
            let r = unsafe {
                libc::recvmmsg(
                    fd,
                    hdrs.as_mut_ptr(),
                    max as u32,
                    libc::MSG_DONTWAIT,
                    ptr::null_mut(),
                )
            };
            if r >= 0 {
                break r as usize;
            }
            let e = SysError::last("recvmmsg");
            match e.errno {
                libc::EINTR => continue,
                libc::EAGAIN => break 0,
                _ => return Err(e),
            }
        };
        let mut out: Vec<&[u8]> = Vec::with_capacity(n);
        let mut truncated = None;
        for (i, h) in hdrs[..n].iter().enumerate() {
            if h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
                truncated = Some(SysError {
                    errno: libc::EMSGSIZE,
                    syscall: "recvmmsg",
                    detail: Some(format!(
                        "datagram {i} of the batch exceeded {DATAGRAM_MAX} bytes and was truncated"
                    )),
                });
                continue;
            }
            // SAFETY: the kernel wrote msg_len (<= DATAGRAM_MAX, as it was not truncated) bytes
            // at the start of this datagram's slot.
            out.push(unsafe {
                std::slice::from_raw_parts(base.add(i * DATAGRAM_MAX), h.msg_len as usize)
            });
        }
        match truncated {
            Some(e) if out.is_empty() => Err(e),
            Some(e) => {
                let r = sink(&out);
                st.deferred.push((fd, e));
                Ok(r)
            }
            None => Ok(sink(&out)),
        }
    })
}

/// poll(2) for `POLLIN` on `fd`; `false` on timeout. Errors and hang-ups count as readable so
/// that the following receive reports them. `EINTR` restarts the wait with the time left.
fn poll_readable(fd: c_int, timeout_ms: c_int) -> SysResult<bool> {
    let deadline = (timeout_ms > 0)
        .then(|| std::time::Instant::now() + std::time::Duration::from_millis(timeout_ms as u64));
    let mut wait = timeout_ms;
    loop {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one live pollfd.
        let r = unsafe { libc::poll(&mut p, 1, wait) };
        if r > 0 {
            if p.revents & libc::POLLNVAL != 0 {
                return Err(SysError {
                    errno: libc::EBADF,
                    syscall: "poll",
                    detail: None,
                });
            }
            return Ok(true);
        }
        if r == 0 {
            return Ok(false);
        }
        let e = SysError::last("poll");
        if e.errno != libc::EINTR {
            return Err(e);
        }
        if let Some(d) = deadline {
            let left = d
                .saturating_duration_since(std::time::Instant::now())
                .as_millis();
            wait = left.min(c_int::MAX as u128) as c_int;
        }
    }
}

/// Sends each `(pointer, length)` buffer as one datagram to the kernel (`nl_pid` 0) with
/// sendmmsg(2), in order. Returns how many were sent: all of them, or fewer when a send failed
/// after at least one succeeded (the caller resends the rest and then sees the error).
/// Errors: the first datagram's send error (e.g. `ENOBUFS`, `EMSGSIZE`, `EBADF`). `EINTR` is
/// retried.
pub fn send_batch(fd: c_int, bufs: &[(*const u8, usize)]) -> SysResult<usize> {
    let dest = nl_addr(0);
    let mut iovs: Vec<libc::iovec> = bufs
        .iter()
        .map(|&(p, len)| libc::iovec {
            iov_base: p as *mut c_void,
            iov_len: len,
        })
        .collect();
    // SAFETY: mmsghdr is plain old data; all-zero is valid.
    let mut hdrs: Vec<libc::mmsghdr> = (0..bufs.len()).map(|_| unsafe { mem::zeroed() }).collect();
    for (h, iov) in hdrs.iter_mut().zip(iovs.iter_mut()) {
        h.msg_hdr.msg_name = &dest as *const sockaddr_nl as *mut c_void;
        h.msg_hdr.msg_namelen = mem::size_of::<sockaddr_nl>() as socklen_t;
        h.msg_hdr.msg_iov = iov;
        h.msg_hdr.msg_iovlen = 1;
    }
    let mut sent = 0usize;
    while sent < hdrs.len() {
        let chunk = (hdrs.len() - sent).min(BATCH_MAX);
        // SAFETY: the headers point at `dest`, `iovs` and the caller's buffers, all live.
        let r = unsafe { libc::sendmmsg(fd, hdrs[sent..].as_mut_ptr(), chunk as u32, 0) };
        if r < 0 {
            let e = SysError::last("sendmmsg");
            if e.errno == libc::EINTR {
                continue;
            }
            if sent == 0 {
                return Err(e);
            }
            break;
        }
        sent += r as usize;
        if (r as usize) < chunk {
            break;
        }
    }
    Ok(sent)
}

/// close(2); also forgets errors deferred for `fd` on this thread.
/// Takes a write lock on the whole file behind `fd` (fcntl(2) `F_SETLK`, `F_WRLCK`), as OVS
/// holds one on its pidfile for its lifetime: `ovs-appctl` trusts a pidfile only while the pid in
/// it holds that lock. The lock lives as long as the process keeps some fd of the file open and
/// closes none.
pub fn lock_file(fd: c_int) -> SysResult<()> {
    // SAFETY: a zeroed `flock` is a valid value; fcntl only reads it.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = libc::F_WRLCK as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    // SAFETY: plain system call on a caller-supplied descriptor with a valid struct pointer.
    if unsafe { libc::fcntl(fd, libc::F_SETLK, &fl) } < 0 {
        return Err(SysError::last("fcntl"));
    }
    Ok(())
}

/// `SIOCETHTOOL` (linux/sockios.h) and `ETHTOOL_GSET` (linux/ethtool.h).
const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GSET: u32 = 0x1;
/// `sizeof(struct ethtool_cmd)`.
pub const ETHTOOL_CMD_LEN: usize = 44;

/// `struct ifreq` with the `ifr_data` member of its union (40 bytes on 64-bit Linux).
#[repr(C)]
struct IfreqData {
    name: [u8; libc::IFNAMSIZ],
    data: *mut u8,
    _pad: [u8; 16],
}

/// Asks the driver of each named device for its link settings (`ETHTOOL_GSET` through
/// `SIOCETHTOOL` on a throwaway `AF_INET` datagram socket), as OVS's netdev-linux reads port
/// features. Returns one `struct ethtool_cmd` (44 bytes, host byte order) per name, or an empty
/// vector for a device whose driver does not answer (`EOPNOTSUPP`, `ENODEV`, …).
/// Errors: socket(2) failure only.
pub fn ethtool_gset(names: &[(*const u8, usize)]) -> SysResult<Vec<Vec<u8>>> {
    // SAFETY: plain system call.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(SysError::last("socket"));
    }
    let mut out = Vec::with_capacity(names.len());
    for &(ptr, len) in names {
        let mut cmd = vec![0u8; ETHTOOL_CMD_LEN];
        cmd[..4].copy_from_slice(&ETHTOOL_GSET.to_ne_bytes());
        let mut ifr = IfreqData { name: [0; libc::IFNAMSIZ], data: cmd.as_mut_ptr(), _pad: [0; 16] };
        if len == 0 || len >= libc::IFNAMSIZ {
            out.push(Vec::new());
            continue;
        }
        // SAFETY: the caller's buffer is valid for `len` bytes during this call.
        let name = unsafe { std::slice::from_raw_parts(ptr, len) };
        ifr.name[..len].copy_from_slice(name);
        // SAFETY: `ifr` and the buffer it points to outlive the call; the kernel writes at most
        // ETHTOOL_CMD_LEN bytes for ETHTOOL_GSET.
        let r = unsafe { libc::ioctl(fd, SIOCETHTOOL, &mut ifr as *mut IfreqData) };
        out.push(if r < 0 { Vec::new() } else { cmd });
    }
    // SAFETY: closes the descriptor opened above.
    unsafe { libc::close(fd) };
    Ok(out)
}

pub fn close(fd: c_int) -> SysResult<()> {
    RECV.with(|cell| cell.borrow_mut().deferred.retain(|(f, _)| *f != fd));
    // SAFETY: plain system call; Linux releases the fd even when close reports an error.
    if unsafe { libc::close(fd) } < 0 {
        let e = SysError::last("close");
        if e.errno != libc::EINTR {
            return Err(e);
        }
    }
    Ok(())
}

/// The descriptors open in this process: from /proc/self/fd, or when /proc is not mounted every
/// number below the `RLIMIT_NOFILE` soft limit.
fn open_fds() -> Vec<c_int> {
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        return dir
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
    }
    // SAFETY: rlimit is plain old data.
    let mut rl: libc::rlimit = unsafe { mem::zeroed() };
    // SAFETY: passes a live rlimit.
    let max = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) } == 0 {
        rl.rlim_cur.min(1 << 20) as c_int
    } else {
        1024
    };
    (0..max).collect()
}

/// Finds this process's netlink socket of `protocol` bound to `port_id` and sets
/// `NETLINK_EXT_ACK` and `NETLINK_CAP_ACK` on it (netlink(7)). Returns whether it was found.
/// Errors: setsockopt(2) failures on the socket found (e.g. `ENOPROTOOPT` before Linux 4.12).
pub fn enable_ext_ack(port_id: u32, protocol: c_int) -> SysResult<bool> {
    for fd in open_fds() {
        match netlink_name(fd) {
            Some(a) if a.nl_pid == port_id => {}
            _ => continue,
        }
        if getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_PROTOCOL).ok() != Some(protocol) {
            continue;
        }
        setsockopt_int(fd, libc::SOL_NETLINK, libc::NETLINK_EXT_ACK, 1)?;
        setsockopt_int(fd, libc::SOL_NETLINK, libc::NETLINK_CAP_ACK, 1)?;
        return Ok(true);
    }
    Ok(false)
}
