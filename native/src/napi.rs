//! The handful of Node-API (N-API) C functions this addon calls, declared by hand from
//! `js_native_api.h` / `node_api.h` (Node-API version 8, shipped by Node >= 12.22), plus thin
//! safe-ish wrappers.
//!
//! The symbols are not linked against any library: `node` exports them and the dynamic loader
//! resolves them when `process.dlopen` loads the `.node` file. On Linux the linker leaves
//! undefined symbols in a shared object by default, so the cdylib needs no extra link flags.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};
use std::ptr;

use crate::sys::SysError;

#[repr(C)]
pub struct napi_env__ {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct napi_value__ {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct napi_callback_info__ {
    _opaque: [u8; 0],
}

pub type napi_env = *mut napi_env__;
pub type napi_value = *mut napi_value__;
pub type napi_callback_info = *mut napi_callback_info__;
/// `napi_status`; `napi_ok` is 0.
pub type napi_status = i32;
pub type napi_callback = Option<unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value>;

const NAPI_OK: napi_status = 0;

extern "C" {
    fn napi_create_object(env: napi_env, result: *mut napi_value) -> napi_status;
    fn napi_create_uint32(env: napi_env, value: u32, result: *mut napi_value) -> napi_status;
    fn napi_create_int32(env: napi_env, value: i32, result: *mut napi_value) -> napi_status;
    fn napi_create_string_utf8(
        env: napi_env,
        s: *const c_char,
        length: usize,
        result: *mut napi_value,
    ) -> napi_status;
    fn napi_get_value_double(env: napi_env, value: napi_value, result: *mut f64) -> napi_status;
    fn napi_create_buffer_copy(
        env: napi_env,
        length: usize,
        data: *const c_void,
        result_data: *mut *mut c_void,
        result: *mut napi_value,
    ) -> napi_status;
    fn napi_is_buffer(env: napi_env, value: napi_value, result: *mut bool) -> napi_status;
    fn napi_get_buffer_info(
        env: napi_env,
        value: napi_value,
        data: *mut *mut c_void,
        length: *mut usize,
    ) -> napi_status;
    fn napi_create_array_with_length(
        env: napi_env,
        length: usize,
        result: *mut napi_value,
    ) -> napi_status;
    fn napi_is_array(env: napi_env, value: napi_value, result: *mut bool) -> napi_status;
    fn napi_get_array_length(env: napi_env, value: napi_value, result: *mut u32) -> napi_status;
    fn napi_get_element(
        env: napi_env,
        object: napi_value,
        index: u32,
        result: *mut napi_value,
    ) -> napi_status;
    fn napi_set_element(
        env: napi_env,
        object: napi_value,
        index: u32,
        value: napi_value,
    ) -> napi_status;
    fn napi_set_named_property(
        env: napi_env,
        object: napi_value,
        utf8name: *const c_char,
        value: napi_value,
    ) -> napi_status;
    fn napi_create_error(
        env: napi_env,
        code: napi_value,
        msg: napi_value,
        result: *mut napi_value,
    ) -> napi_status;
    fn napi_throw(env: napi_env, error: napi_value) -> napi_status;
    fn napi_throw_type_error(env: napi_env, code: *const c_char, msg: *const c_char)
        -> napi_status;
    fn napi_throw_range_error(
        env: napi_env,
        code: *const c_char,
        msg: *const c_char,
    ) -> napi_status;
    fn napi_create_function(
        env: napi_env,
        utf8name: *const c_char,
        length: usize,
        cb: napi_callback,
        data: *mut c_void,
        result: *mut napi_value,
    ) -> napi_status;
    fn napi_get_cb_info(
        env: napi_env,
        cbinfo: napi_callback_info,
        argc: *mut usize,
        argv: *mut napi_value,
        this_arg: *mut napi_value,
        data: *mut *mut c_void,
    ) -> napi_status;
    fn napi_get_undefined(env: napi_env, result: *mut napi_value) -> napi_status;
    fn napi_get_boolean(env: napi_env, value: bool, result: *mut napi_value) -> napi_status;
}

/// Why a JS-visible function failed. `Pending` means a JS exception is already pending (a
/// Node-API call failed), so nothing more is thrown.
pub enum JsError {
    Sys(SysError),
    Type(String),
    Range(String),
    Pending,
}

impl From<SysError> for JsError {
    fn from(e: SysError) -> Self {
        JsError::Sys(e)
    }
}

pub type JsResult<T> = Result<T, JsError>;

fn check(status: napi_status) -> JsResult<()> {
    if status == NAPI_OK {
        Ok(())
    } else {
        Err(JsError::Pending)
    }
}

/// NUL-terminated copy of `s` for the C API (interior NULs cannot occur in our own strings).
fn cstr(s: &str) -> Vec<u8> {
    let mut v: Vec<u8> = s.bytes().filter(|&b| b != 0).collect();
    v.push(0);
    v
}

/// The environment of one call from JS, with typed argument access.
pub struct Call<const N: usize> {
    pub env: napi_env,
    pub args: [napi_value; N],
    pub argc: usize,
}

impl<const N: usize> Call<N> {
    /// Fetches up to `N` arguments; missing ones are `undefined`.
    pub unsafe fn new(env: napi_env, info: napi_callback_info) -> JsResult<Self> {
        let mut args = [ptr::null_mut(); N];
        let mut argc = N;
        check(napi_get_cb_info(
            env,
            info,
            &mut argc,
            args.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        ))?;
        Ok(Call { env, args, argc })
    }

    /// Argument `i` as a number; `TypeError` when it is not one.
    pub unsafe fn f64(&self, i: usize, name: &str) -> JsResult<f64> {
        let mut v = 0f64;
        if i >= self.argc || napi_get_value_double(self.env, self.args[i], &mut v) != NAPI_OK {
            return Err(JsError::Type(format!("{name} must be a number")));
        }
        Ok(v)
    }

    /// Argument `i` as an integer in `[min, max]`; `TypeError`/`RangeError` otherwise.
    pub unsafe fn int(&self, i: usize, name: &str, min: i64, max: i64) -> JsResult<i64> {
        let v = self.f64(i, name)?;
        if v.fract() != 0.0 || v.is_nan() || v < min as f64 || v > max as f64 {
            return Err(JsError::Range(format!(
                "{name} must be an integer in [{min}, {max}], got {v}"
            )));
        }
        Ok(v as i64)
    }

    /// Argument `i` as a file descriptor (a non-negative int32).
    pub unsafe fn fd(&self, i: usize) -> JsResult<i32> {
        Ok(self.int(i, "fd", 0, i32::MAX as i64)? as i32)
    }

    /// Argument `i` as an array of Buffers: (pointer, length) views valid for this call only.
    pub unsafe fn buffers(&self, i: usize, name: &str) -> JsResult<Vec<(*const u8, usize)>> {
        let env = self.env;
        let mut is_array = false;
        if i >= self.argc || napi_is_array(env, self.args[i], &mut is_array) != NAPI_OK || !is_array
        {
            return Err(JsError::Type(format!("{name} must be an array of Buffers")));
        }
        let mut n = 0u32;
        check(napi_get_array_length(env, self.args[i], &mut n))?;
        let mut out = Vec::with_capacity(n as usize);
        for k in 0..n {
            let mut el = ptr::null_mut();
            check(napi_get_element(env, self.args[i], k, &mut el))?;
            let mut is_buf = false;
            check(napi_is_buffer(env, el, &mut is_buf))?;
            if !is_buf {
                return Err(JsError::Type(format!("{name}[{k}] must be a Buffer")));
            }
            let mut data: *mut c_void = ptr::null_mut();
            let mut len = 0usize;
            check(napi_get_buffer_info(env, el, &mut data, &mut len))?;
            out.push((data as *const u8, len));
        }
        Ok(out)
    }

    pub unsafe fn undefined(&self) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        check(napi_get_undefined(self.env, &mut v))?;
        Ok(v)
    }

    pub unsafe fn boolean(&self, b: bool) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        check(napi_get_boolean(self.env, b, &mut v))?;
        Ok(v)
    }

    pub unsafe fn uint32(&self, n: u32) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        check(napi_create_uint32(self.env, n, &mut v))?;
        Ok(v)
    }

    /// A plain object with the given uint32-valued properties.
    pub unsafe fn object_u32(&self, props: &[(&str, u32)]) -> JsResult<napi_value> {
        let mut obj = ptr::null_mut();
        check(napi_create_object(self.env, &mut obj))?;
        for (k, n) in props {
            let v = self.uint32(*n)?;
            check(napi_set_named_property(
                self.env,
                obj,
                cstr(k).as_ptr() as *const c_char,
                v,
            ))?;
        }
        Ok(obj)
    }

    /// A JS array of Buffers, each a copy of one slice.
    pub unsafe fn buffer_array(&self, slices: &[&[u8]]) -> JsResult<napi_value> {
        let mut arr = ptr::null_mut();
        check(napi_create_array_with_length(
            self.env,
            slices.len(),
            &mut arr,
        ))?;
        for (k, s) in slices.iter().enumerate() {
            let mut buf = ptr::null_mut();
            let mut data = ptr::null_mut();
            check(napi_create_buffer_copy(
                self.env,
                s.len(),
                s.as_ptr() as *const c_void,
                &mut data,
                &mut buf,
            ))?;
            check(napi_set_element(self.env, arr, k as u32, buf))?;
        }
        Ok(arr)
    }
}

unsafe fn string(env: napi_env, s: &str) -> JsResult<napi_value> {
    let mut v = ptr::null_mut();
    check(napi_create_string_utf8(
        env,
        s.as_ptr() as *const c_char,
        s.len(),
        &mut v,
    ))?;
    Ok(v)
}

/// Throws `e` as a JS exception. System errors become an `Error` shaped like Node's own
/// (`errno`: positive errno number, `code`: e.g. `'ENOBUFS'`, `syscall`: e.g. `'recvmmsg'`).
pub unsafe fn throw(env: napi_env, e: JsError) {
    match e {
        JsError::Pending => {}
        JsError::Type(m) => {
            napi_throw_type_error(env, ptr::null(), cstr(&m).as_ptr() as *const c_char);
        }
        JsError::Range(m) => {
            napi_throw_range_error(env, ptr::null(), cstr(&m).as_ptr() as *const c_char);
        }
        JsError::Sys(s) => {
            let build = || -> JsResult<napi_value> {
                let code = string(env, s.code())?;
                let msg = string(env, &s.message())?;
                let mut err = ptr::null_mut();
                check(napi_create_error(env, code, msg, &mut err))?;
                let mut errno = ptr::null_mut();
                check(napi_create_int32(env, s.errno, &mut errno))?;
                check(napi_set_named_property(env, err, c"errno".as_ptr(), errno))?;
                let syscall = string(env, s.syscall)?;
                check(napi_set_named_property(
                    env,
                    err,
                    c"syscall".as_ptr(),
                    syscall,
                ))?;
                Ok(err)
            };
            if let Ok(err) = build() {
                napi_throw(env, err);
            }
        }
    }
}

/// Adds a native function `name` to `exports`.
pub unsafe fn export(
    env: napi_env,
    exports: napi_value,
    name: &str,
    cb: unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value,
) -> JsResult<()> {
    let cname = cstr(name);
    let mut f = ptr::null_mut();
    check(napi_create_function(
        env,
        cname.as_ptr() as *const c_char,
        name.len(),
        Some(cb),
        ptr::null_mut(),
        &mut f,
    ))?;
    check(napi_set_named_property(
        env,
        exports,
        cname.as_ptr() as *const c_char,
        f,
    ))
}
