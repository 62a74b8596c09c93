//! `TCP_NODELAY` on the writer's connection, which sqlx does not set.
//!
//! Why (measured, raffle alone at `dev --scale 10` on a throwaway PostgreSQL: 8.7 and 13.0 s
//! over TCP, 5.9 and 7.4 s over its Unix socket; during the TCP runs the server's backend sat
//! in `ClientRead` through the COPYs, and the machine was two thirds idle): each batch ends
//! with a small write (PostgreSQL's `CopyDone` after the `CopyData`), which Nagle's algorithm
//! holds back until the server acknowledges the data, and the server delays that
//! acknowledgement (up to 40 ms on Linux) because it has nothing to send yet.
//!
//! sqlx owns the socket and does not lend it, so the writer asks the server which client
//! port this connection has, and sets the option on the socket of this process bound to that
//! local port (found by `getsockname` over the process's descriptors). Nothing else is
//! touched; where nothing matches (a Unix socket, another platform), nothing changes.

/// Sets `TCP_NODELAY` on this process's TCP sockets whose local port is `port`; false when
/// there is none. Every match is set: Linux lends one ephemeral port to connections with
/// different peers, and the option harms none of them.
#[cfg(unix)]
pub(crate) fn set_on_local_port(port: u16) -> bool {
    let mut set = false;
    // Descriptors are handed out lowest first: a connection's is among the first thousands.
    for fd in 0..4096 {
        // SAFETY: `getsockname` and `setsockopt` only read and write the buffers passed with
        // their lengths; on a descriptor that is closed or no socket they fail and do nothing.
        unsafe {
            let mut addr: libc::sockaddr_storage = std::mem::zeroed();
            let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            if libc::getsockname(fd, (&raw mut addr).cast(), &mut len) != 0 {
                continue;
            }
            let local = match i32::from(addr.ss_family) {
                libc::AF_INET => u16::from_be((*(&raw const addr).cast::<libc::sockaddr_in>()).sin_port),
                libc::AF_INET6 => u16::from_be((*(&raw const addr).cast::<libc::sockaddr_in6>()).sin6_port),
                _ => continue,
            };
            let mut kind: libc::c_int = 0;
            let mut kind_len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            let stream =
                libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_TYPE, (&raw mut kind).cast(), &mut kind_len)
                    == 0
                    && kind == libc::SOCK_STREAM;
            if local != port || !stream {
                continue;
            }
            let on: libc::c_int = 1;
            let size = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            set |=
                libc::setsockopt(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, (&raw const on).cast(), size) == 0;
        }
    }
    set
}

#[cfg(not(unix))]
pub(crate) fn set_on_local_port(_port: u16) -> bool {
    false
}

#[cfg(all(test, unix))]
mod tests {
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn the_socket_on_that_local_port_gets_nodelay_and_no_other() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let other = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        assert!(!ours.nodelay().unwrap() && !other.nodelay().unwrap(), "sockets start with Nagle on");
        assert!(super::set_on_local_port(ours.local_addr().unwrap().port()));
        assert!(ours.nodelay().unwrap(), "the socket on that port has TCP_NODELAY");
        assert!(!other.nodelay().unwrap(), "another socket of the process was touched");
        let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        assert!(!super::set_on_local_port(closed), "a port no socket of ours is on was found");
    }
}
