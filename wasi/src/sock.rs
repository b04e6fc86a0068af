//! The socket functions (`sock_accept`, `sock_recv`, `sock_send`, `sock_shutdown`): no
//! descriptor is a socket here, so each answers `EBADF` for a descriptor that is not open and
//! `ENOTSOCK` for one that is. They read and write no guest memory.

use guestmem::GuestFrame;

use crate::{Errno, HasWasi};

/// `EBADF` when `fd` is not open, else `ENOTSOCK`.
fn not_a_socket<C: HasWasi>(ctx: &mut C, fd: u32) -> Errno {
    match ctx.wasi().descriptor(fd) {
        Err(e) => e,
        Ok(_) => Errno::Notsock,
    }
}

/// `sock_accept(fd, flags, result_fd)`: `EBADF` or `ENOTSOCK`.
///
/// # Examples
///
/// ```
/// use guestmem_wasi::guestmem::GuestFrame;
/// use guestmem_wasi::{sock, Errno, TestHost, WasiCtx};
///
/// let mut ctx = WasiCtx::new(TestHost::default());
/// let mem = GuestFrame::empty();
/// assert_eq!(sock::sock_accept(&mut ctx, &mem, 1, 0, 0), Errno::Notsock);
/// assert_eq!(sock::sock_accept(&mut ctx, &mem, 9, 0, 0), Errno::Badf);
/// ```
pub fn sock_accept<C: HasWasi>(
    ctx: &mut C,
    _mem: &GuestFrame<'_>,
    fd: u32,
    _flags: u32,
    _result_fd: u32,
) -> Errno {
    not_a_socket(ctx, fd)
}

/// `sock_recv(fd, ri_data, ri_data_len, ri_flags, ro_datalen, ro_flags)`: `EBADF` or
/// `ENOTSOCK`.
#[allow(clippy::too_many_arguments)] // the import's parameters, as the list passes them
pub fn sock_recv<C: HasWasi>(
    ctx: &mut C,
    _mem: &GuestFrame<'_>,
    fd: u32,
    _ri_data: u32,
    _ri_data_len: u32,
    _ri_flags: u32,
    _ro_datalen: u32,
    _ro_flags: u32,
) -> Errno {
    not_a_socket(ctx, fd)
}

/// `sock_send(fd, si_data, si_data_len, si_flags, so_datalen)`: `EBADF` or `ENOTSOCK`.
pub fn sock_send<C: HasWasi>(
    ctx: &mut C,
    _mem: &GuestFrame<'_>,
    fd: u32,
    _si_data: u32,
    _si_data_len: u32,
    _si_flags: u32,
    _so_datalen: u32,
) -> Errno {
    not_a_socket(ctx, fd)
}

/// `sock_shutdown(fd, how)`: `EBADF` or `ENOTSOCK`.
pub fn sock_shutdown<C: HasWasi>(ctx: &mut C, _mem: &GuestFrame<'_>, fd: u32, _how: u32) -> Errno {
    not_a_socket(ctx, fd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TestHost, WasiCtx};

    #[test]
    fn closed_is_ebadf_open_is_enotsock() {
        let mut ctx = WasiCtx::new(TestHost::default());
        let mem = GuestFrame::empty();
        for fd in [0, 1, 2] {
            assert_eq!(sock_shutdown(&mut ctx, &mem, fd, 3), Errno::Notsock);
            assert_eq!(sock_send(&mut ctx, &mem, fd, 0, 0, 0, 0), Errno::Notsock);
            assert_eq!(sock_recv(&mut ctx, &mem, fd, 0, 0, 0, 0, 0), Errno::Notsock);
        }
        assert_eq!(crate::calls::fd_close(&mut ctx, &mem, 2), Errno::Success);
        for fd in [2, 3, u32::MAX] {
            assert_eq!(sock_shutdown(&mut ctx, &mem, fd, 3), Errno::Badf);
            assert_eq!(sock_accept(&mut ctx, &mem, fd, 0, 0), Errno::Badf);
        }
        assert_eq!(ctx.host().calls, 0);
    }
}
