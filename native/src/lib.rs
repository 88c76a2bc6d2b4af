//! ts-vswitchd native addon: Generic Netlink sockets for the upcall handlers.
//!
//! Node's event loop cannot block in a receive with a timeout, nor batch datagrams per system
//! call; the handler workers need both. This addon does exactly that and nothing more: it knows
//! netlink sockets (netlink(7)), not Open vSwitch. The JS API is documented in
//! `src/genl/native.ts`.
//!
//! Loaded with `process.dlopen`; registration is through the exported
//! `napi_register_module_v1` symbol, which makes the module context-aware, so every
//! `worker_thread` gets its own instance.

mod napi;
mod sys;

use napi::{napi_callback_info, napi_env, napi_value, Call, JsResult};

/// Runs the body of a JS-visible function; turns an `Err` into a thrown JS exception.
unsafe fn entry<const N: usize>(
    env: napi_env,
    info: napi_callback_info,
    body: impl FnOnce(&Call<N>) -> JsResult<napi_value>,
) -> napi_value {
    let r = Call::<N>::new(env, info).and_then(|c| body(&c));
    match r {
        Ok(v) => v,
        Err(e) => {
            napi::throw(env, e);
            std::ptr::null_mut()
        }
    }
}

/// `open(rcvbufBytes) → { fd, portId }`.
unsafe extern "C" fn js_open(env: napi_env, info: napi_callback_info) -> napi_value {
    entry::<1>(env, info, |c| {
        let rcvbuf = c.int(0, "rcvbufBytes", 0, i32::MAX as i64)? as i32;
        let (fd, port_id) = sys::open(libc::NETLINK_GENERIC, rcvbuf)?;
        c.object_u32(&[("fd", fd as u32), ("portId", port_id)])
    })
}

/// `recvBatch(fd, maxDatagrams, timeoutMs) → Buffer[]`.
unsafe extern "C" fn js_recv_batch(env: napi_env, info: napi_callback_info) -> napi_value {
    entry::<3>(env, info, |c| {
        let fd = c.fd(0)?;
        let max = c.int(1, "maxDatagrams", 1, sys::BATCH_MAX as i64)? as usize;
        let t = c.f64(2, "timeoutMs")?;
        if t.is_nan() {
            return Err(napi::JsError::Type("timeoutMs must be a number".into()));
        }
        let timeout = if t < 0.0 || t.is_infinite() {
            -1
        } else {
            t.ceil().min(i32::MAX as f64) as i32
        };
        sys::recv_batch(fd, max, timeout, |dgrams| c.buffer_array(dgrams))?
    })
}

/// `sendBatch(fd, msgs) → number sent`.
unsafe extern "C" fn js_send_batch(env: napi_env, info: napi_callback_info) -> napi_value {
    entry::<2>(env, info, |c| {
        let fd = c.fd(0)?;
        let bufs = c.buffers(1, "msgs")?;
        let n = sys::send_batch(fd, &bufs)?;
        c.uint32(n as u32)
    })
}

/// `close(fd)`.
unsafe extern "C" fn js_close(env: napi_env, info: napi_callback_info) -> napi_value {
    entry::<1>(env, info, |c| {
        sys::close(c.fd(0)?)?;
        c.undefined()
    })
}

/// `enableExtAck(portId, protocol = NETLINK_GENERIC) → boolean`.
unsafe extern "C" fn js_enable_ext_ack(env: napi_env, info: napi_callback_info) -> napi_value {
    entry::<2>(env, info, |c| {
        let port_id = c.int(0, "portId", 0, u32::MAX as i64)? as u32;
        let protocol = if c.argc >= 2 {
            c.int(1, "protocol", 0, 31)? as i32
        } else {
            libc::NETLINK_GENERIC
        };
        let found = sys::enable_ext_ack(port_id, protocol)?;
        c.boolean(found)
    })
}

/// `lockFile(fd) → undefined`: fcntl write lock on the whole file (see `sys::lock_file`).
unsafe extern "C" fn js_lock_file(env: napi_env, info: napi_callback_info) -> napi_value {
    entry::<1>(env, info, |c| {
        let fd = c.fd(0)?;
        sys::lock_file(fd)?;
        c.undefined()
    })
}

/// `ethtoolGset(names: Buffer[]) → Buffer[]`: one 44-byte `struct ethtool_cmd` per device name,
/// empty where the driver does not answer (see `sys::ethtool_gset`).
unsafe extern "C" fn js_ethtool_gset(env: napi_env, info: napi_callback_info) -> napi_value {
    entry::<1>(env, info, |c| {
        let names = c.buffers(0, "names")?;
        let res = sys::ethtool_gset(&names)?;
        let slices: Vec<&[u8]> = res.iter().map(|v| v.as_slice()).collect();
        c.buffer_array(&slices)
    })
}

/// Module entry point looked up by Node when it loads the `.node` file.
///
/// # Safety
/// Called only by Node, with a live `env` and the module's `exports` object.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    let fns: [(
        &str,
        unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value,
    ); 7] = [
        ("open", js_open),
        ("recvBatch", js_recv_batch),
        ("sendBatch", js_send_batch),
        ("close", js_close),
        ("enableExtAck", js_enable_ext_ack),
        ("lockFile", js_lock_file),
        ("ethtoolGset", js_ethtool_gset),
    ];
    for (name, f) in fns {
        if napi::export(env, exports, name, f).is_err() {
            return std::ptr::null_mut();
        }
    }
    exports
}
