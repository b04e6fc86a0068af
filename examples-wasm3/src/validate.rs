//! Module pre-validation: accept exactly the modules wasm3 0.4.7 runs correctly.
//!
//! wasm3 0.4.7 has undefined behaviour (a segfault in a dev build) when it compiles a
//! bulk-memory instruction, returns wrong results for multi-value functions, refuses data-count
//! sections, misreads a padded (multi-byte LEB) `call_indirect` table index, and segfaults in
//! `m3_GetMemory` for a module that imports its memory. `wasmparser`, with only the features
//! wasm3 implements, rejects all of these (a padded table index is "zero byte expected" unless
//! reference types are on); memory, table and global imports are rejected here, and so is a
//! function imported twice (wasm3 would link only the first). [`lower`](crate::lower()) turns
//! most of what current compilers emit into modules that pass.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use wasmparser::{
    BinaryReaderError, CompositeInnerType, ExternalKind, Parser, Payload, TypeRef, Validator,
    WasmFeatures,
};

/// Refuses an active data segment that does not lie inside the initial memory: instantiation
/// must fail (the spec's rule), and wasm3 0.4.7 checks `(size_t) offset + size <= length` with
/// the offset sign-extended, so a segment at a negative `i32` offset passes its check and is
/// copied *before* the memory — over wasm3's memory header (its length among it) and the heap:
/// a guest escaping its sandbox (a fuzz finding, `fuzz/findings/`).
fn check_data_segment(
    data: &wasmparser::Data<'_>,
    memory_bytes: u64,
) -> Result<(), ValidationError> {
    let wasmparser::DataKind::Active { offset_expr, .. } = &data.kind else {
        return Ok(());
    };
    let mut ops = offset_expr.get_operators_reader();
    // Without imported globals (refused above), a valid offset is one `i32.const` (the MVP's
    // constant expressions: a constant or an imported global's value).
    let offset = match ops.read() {
        Ok(wasmparser::Operator::I32Const { value }) => {
            u64::from(u32::from_le_bytes(value.to_le_bytes()))
        }
        _ => {
            return Err(unsupported(
                "data segment offset",
                "an active data segment's offset is not a constant".to_string(),
            ))
        }
    };
    let len = u64::try_from(data.data.len()).unwrap_or(u64::MAX);
    if offset.saturating_add(len) > memory_bytes {
        return Err(ValidationError {
            unsupported: None,
            message: alloc::format!(
                "data segment out of bounds: {len} bytes at offset {offset:#x} in a memory of \
                 {memory_bytes} bytes (instantiation fails)"
            ),
            offset: usize::try_from(data.range.start).ok(),
        });
    }
    Ok(())
}

/// The WebAssembly features wasm3 0.4.7 runs: the MVP (with floats and mutable globals),
/// sign extension and non-trapping float-to-int conversions.
pub fn wasm3_features() -> WasmFeatures {
    WasmFeatures::WASM1 | WasmFeatures::SIGN_EXTENSION | WasmFeatures::SATURATING_FLOAT_TO_INT
}

/// A function import of a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The import module, e.g. `wasi_snapshot_preview1`.
    pub module: String,
    /// The field name, e.g. `fd_write`.
    pub name: String,
}

/// A function export of a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    /// The export name.
    pub name: String,
    /// How many parameters the function takes.
    pub params: u32,
    /// How many results it returns (0 or 1: validation rejects more).
    pub results: u32,
}

/// What validation learnt about a module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Its function imports.
    pub imports: Vec<Import>,
    /// Its function exports.
    pub exports: Vec<Export>,
}

impl ModuleInfo {
    /// The exported function called `name`.
    pub fn exported_function(&self, name: &str) -> Option<&Export> {
        self.exports.iter().find(|e| e.name == name)
    }
}

/// Why a module was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// The feature wasm3 0.4.7 lacks (e.g. `bulk-memory`), or `None` for a module that is
    /// simply invalid.
    pub unsupported: Option<&'static str>,
    /// The detail, as `wasmparser` or this module says it.
    pub message: String,
    /// The byte offset in the module, when known.
    pub offset: Option<usize>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unsupported {
            Some(feature) => write!(f, "unsupported by wasm3 0.4.7: {feature}: ")?,
            None => f.write_str("invalid module: ")?,
        }
        f.write_str(&self.message)?;
        if let Some(offset) = self.offset {
            write!(f, " (at offset {offset:#x})")?;
        }
        Ok(())
    }
}

impl core::error::Error for ValidationError {}

/// The feature a `wasmparser` message is about, if it is one wasm3 lacks.
pub(crate) fn feature_of(message: &str) -> Option<&'static str> {
    const FEATURES: [(&str, &str); 16] = [
        ("data count", "bulk-memory (data count section)"),
        ("bulk memory", "bulk-memory"),
        ("bulk-memory", "bulk-memory"),
        ("reference types", "reference-types"),
        ("reference-types", "reference-types"),
        ("multi-value", "multi-value"),
        ("multiple values", "multi-value"),
        ("SIMD", "simd"),
        (
            "zero byte expected",
            "padded LEB table index (call_indirect-overlong)",
        ),
        ("tail call", "tail-call"),
        ("threads", "threads"),
        ("multi-memory", "multi-memory"),
        ("multiple memories", "multi-memory"),
        ("memory64", "memory64"),
        ("exceptions", "exceptions"),
        ("gc proposal", "gc"),
    ];
    FEATURES
        .iter()
        .find(|(needle, _)| message.contains(needle))
        .map(|(_, feature)| *feature)
        .or_else(|| {
            message
                .contains("support is not enabled")
                .then_some("a post-MVP proposal")
        })
}

fn parser_error(e: &BinaryReaderError) -> ValidationError {
    ValidationError {
        unsupported: feature_of(e.message()),
        message: e.message().to_string(),
        offset: usize::try_from(e.offset()).ok(),
    }
}

fn unsupported(feature: &'static str, message: String) -> ValidationError {
    ValidationError {
        unsupported: Some(feature),
        message,
        offset: None,
    }
}

/// Validates `wasm` for wasm3 0.4.7 and lists its function imports and exports.
///
/// # Errors
///
/// A [`ValidationError`] naming the unsupported feature (bulk-memory, reference-types,
/// multi-value, SIMD, a data-count section, a padded table index, an imported memory, table or
/// global, a function imported twice), or saying why the module is invalid.
/// [`lower`](crate::lower()) rewrites some of these into what wasm3 runs.
///
/// # Examples
///
/// ```
/// // (module (memory (import "env" "memory") 1))
/// let wasm = [
///     0, 97, 115, 109, 1, 0, 0, 0, 2, 15, 1, 3, 101, 110, 118, 6, 109, 101, 109, 111, 114, 121,
///     2, 0, 1,
/// ];
/// let err = guestmem_wasm3::validate(&wasm).unwrap_err();
/// assert_eq!(err.unsupported, Some("imported memory"));
/// ```
pub fn validate(wasm: &[u8]) -> Result<ModuleInfo, ValidationError> {
    let mut validator = Validator::new_with_features(wasm3_features());
    let types = validator.validate_all(wasm).map_err(|e| parser_error(&e))?;
    let mut info = ModuleInfo::default();
    // The function imports' module and name, to find one imported twice.
    let mut names = alloc::collections::BTreeSet::new();
    // The initial size of the memory in bytes (no memory: 0), for the data segments.
    let mut memory_bytes: u64 = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| parser_error(&e))? {
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory.map_err(|e| parser_error(&e))?;
                    memory_bytes = memory.initial.saturating_mul(64 * 1024);
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data.map_err(|e| parser_error(&e))?;
                    check_data_segment(&data, memory_bytes)?;
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(|e| parser_error(&e))?;
                    let kind = match import.ty {
                        TypeRef::Func(_) => {
                            if !names.insert((import.module, import.name)) {
                                return Err(unsupported(
                                    "duplicate import",
                                    alloc::format!(
                                        "{}.{} is imported twice and wasm3 links only the \
                                         first (lowering merges them)",
                                        import.module,
                                        import.name
                                    ),
                                ));
                            }
                            info.imports.push(Import {
                                module: import.module.to_string(),
                                name: import.name.to_string(),
                            });
                            continue;
                        }
                        TypeRef::Memory(_) => "imported memory",
                        TypeRef::Table(_) => "imported table",
                        TypeRef::Global(_) => "imported global",
                        _ => "imported tag",
                    };
                    return Err(unsupported(
                        kind,
                        alloc::format!("{}.{}", import.module, import.name),
                    ));
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(|e| parser_error(&e))?;
                    if export.kind != ExternalKind::Func {
                        continue;
                    }
                    // The module is valid, so the index names a function and its type.
                    let sub = &types[types.as_ref().core_function_at(export.index)];
                    let (params, results) = match &sub.composite_type.inner {
                        CompositeInnerType::Func(f) => (f.params().len(), f.results().len()),
                        _ => (0, 0),
                    };
                    info.exports.push(Export {
                        name: export.name.to_string(),
                        params: u32::try_from(params).unwrap_or(u32::MAX),
                        results: u32::try_from(results).unwrap_or(u32::MAX),
                    });
                }
            }
            _ => {}
        }
    }
    Ok(info)
}
