//! Load-time lowering: rewrites what current compilers emit into what wasm3 0.4.7 runs.
//!
//! clang and rustc emit, by default, a few post-MVP encodings that wasm3 0.4.7 cannot load
//! (or would crash on), though every one of them has an MVP equivalent. [`lower`] re-encodes
//! the module with `wasm-encoder`'s re-encoder and rewrites:
//!
//! - **padded LEB immediates** (e.g. the 5-byte `call_indirect` table index of every compiler
//!   with reference types on): re-encoding writes every LEB in its minimal form;
//! - **the data-count section**: dropped (only `memory.init`/`data.drop` use it);
//! - **`memory.copy` and `memory.fill`**: calls to two helper functions appended to the module,
//!   written in MVP wasm (8-byte words, then bytes). Both check their range against
//!   `memory.size` first and trap (`unreachable`) when it is out of bounds, before writing
//!   anything, as the instructions do; the copy goes backwards when the destination is above
//!   the source, so overlapping ranges are copied as `memmove` does;
//! - **`memory.size`**: a call to a third helper that returns `memory.size`. wasm3 0.4.7
//!   compiles `memory.size` into its register without saving the value already there: with a
//!   computed value below it on the stack, that value is silently replaced by the page count
//!   (or the function fails to compile). A call saves the register first;
//! - **`data.drop`**: a `nop` (with no `memory.init` left, dropping a segment has no effect),
//!   and passive data segments are removed (nothing can use them);
//! - **duplicate function imports** (the same module, name and type twice, as AssemblyScript
//!   emits): merged into one, and every function index renumbered. wasm3 links only the first
//!   of two imports with the same name;
//! - **empty active element segments**, which wasm3 0.4.7 refuses (`table overflow`): dropped
//!   when their offset is a constant inside the table (else instantiation fails, as it must);
//!   passive and declarative element segments, which nothing can use once `table.init` and
//!   `ref.func` are refused, are dropped too;
//! - **MVP forms of newer encodings**: an active element segment of `ref.func` expressions or
//!   with an explicit table 0 becomes a list of function indices; a typed `select` of a number
//!   type becomes `select`; explicit memory-0 data segments the MVP form;
//! - **dead code**: the instructions after an unconditional branch (`br`, `br_table`,
//!   `return`, `unreachable`) up to the `end` or `else` of their block are removed. They never
//!   run, but their operand stack is polymorphic, which wasm3 0.4.7 cannot compile (`no
//!   operation found for opcode`, leaking its branch patches);
//! - DWARF sections (`.debug_*`), whose code offsets would be stale, are dropped; the name
//!   section is kept, renumbered.
//!
//! Everything else is kept as it is. A module using what has no MVP equivalent — multi-value,
//! SIMD, threads and atomics, reference types beyond the MVP table (`ref.*`, `table.*`,
//! several tables), `memory.init` and the table bulk operations, tail calls, exceptions,
//! memory64, several memories — is refused with a [`LowerError`] naming the feature. The
//! result passes [`validate`](crate::validate()) (checked: `lower` validates its output).
//!
//! The lowered module behaves as the original does, with one difference in its traps: a
//! `memory.copy` or `memory.fill` out of bounds traps with `unreachable executed` instead of
//! an out-of-bounds message.

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use wasm_encoder::reencode::{utils, Error as ReencodeError, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, CustomSection, DataSection, ElementSection, Elements, ExportSection,
    Function, FunctionSection, GlobalSection, ImportSection, Instruction, MemArg, MemArgTarget,
    MemorySection, Module, StartSection, TableSection, TypeSection, ValType,
};
use wasmparser::{
    BinaryReaderError, CompositeInnerType, DataKind, ElementItems, ElementKind, FuncType, Operator,
    Parser, Payload, RefType, TypeRef, Validator, WasmFeatures,
};

use crate::validate::{feature_of, ValidationError};

/// Why [`lower`] refused a module: the same error as [`validate`](crate::validate())'s — the
/// feature that cannot be lowered for wasm3 0.4.7, or why the module is invalid. Offsets are
/// in the module given to `lower`.
pub type LowerError = ValidationError;

/// What [`lower_with_stats`] changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LowerStats {
    /// `memory.copy` instructions replaced by a call to the copy helper.
    pub memory_copies: u32,
    /// `memory.fill` instructions replaced by a call to the fill helper.
    pub memory_fills: u32,
    /// `memory.size` instructions replaced by a call to the size helper.
    pub memory_sizes: u32,
    /// `data.drop` instructions replaced by `nop`.
    pub data_drops: u32,
    /// Duplicate function imports merged into an earlier one.
    pub merged_imports: u32,
    /// Element segments dropped (empty active ones, passive and declarative ones).
    pub dropped_elements: u32,
    /// Passive data segments dropped.
    pub dropped_data: u32,
    /// Whether a data-count section was dropped.
    pub dropped_data_count: bool,
    /// Custom sections dropped (DWARF, or a name section that does not parse).
    pub dropped_custom: u32,
    /// Unreachable instructions removed: those after an unconditional branch up to the end of
    /// their block.
    pub dead_instructions: u32,
}

impl LowerStats {
    /// Whether lowering changed more than the encoding (LEB widths, segment flags).
    pub fn rewrote_anything(&self) -> bool {
        *self != LowerStats::default()
    }
}

/// What changed, e.g. `memory.copy: 2, memory.fill: 18, data count dropped`, or
/// `re-encoded only`.
impl core::fmt::Display for LowerStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let counts = [
            ("memory.copy", self.memory_copies),
            ("memory.fill", self.memory_fills),
            ("memory.size", self.memory_sizes),
            ("data.drop", self.data_drops),
            ("merged imports", self.merged_imports),
            ("dropped element segments", self.dropped_elements),
            ("dropped passive data segments", self.dropped_data),
            ("dropped custom sections", self.dropped_custom),
            ("dead instructions", self.dead_instructions),
        ];
        let mut first = true;
        let mut sep = |f: &mut core::fmt::Formatter<'_>| {
            let s = if first { "" } else { ", " };
            first = false;
            f.write_str(s)
        };
        for (what, n) in counts.iter().filter(|(_, n)| *n > 0) {
            sep(f)?;
            write!(f, "{what}: {n}")?;
        }
        if self.dropped_data_count {
            sep(f)?;
            f.write_str("data count dropped")?;
        }
        if !self.rewrote_anything() {
            f.write_str("re-encoded only")?;
        }
        Ok(())
    }
}

/// The features a module may use to be lowered: wasm3's, plus bulk memory and reference types
/// (whose encodings current compilers use even when their code is MVP).
fn input_features() -> WasmFeatures {
    crate::validate::wasm3_features() | WasmFeatures::BULK_MEMORY | WasmFeatures::REFERENCE_TYPES
}

/// Lowers `wasm` for wasm3 0.4.7 (see the [module docs](self)): the result passes
/// [`validate`](crate::validate()) and behaves as `wasm` does.
///
/// # Errors
///
/// A [`LowerError`] naming the feature that cannot be lowered (e.g. `simd`, `multi-value`,
/// `threads`, `reference-types (table.get)`, `bulk-memory (memory.init)`), or saying why
/// the module is invalid.
///
/// # Examples
///
/// ```
/// // (module (memory 1) (func (export "f") (param i32 i32 i32)
/// //   local.get 0 local.get 1 local.get 2 memory.copy))
/// let wasm = [
///     0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 3, 127, 127, 127, 0, 3, 2, 1, 0, 5, 3, 1, 0,
///     1, 7, 5, 1, 1, 102, 0, 0, 10, 14, 1, 12, 0, 32, 0, 32, 1, 32, 2, 252, 10, 0, 0, 11,
/// ];
/// assert_eq!(
///     guestmem_wasm3::validate(&wasm).unwrap_err().unsupported,
///     Some("bulk-memory")
/// );
/// let lowered = guestmem_wasm3::lower(&wasm)?;
/// assert!(guestmem_wasm3::validate(&lowered).is_ok());
/// # Ok::<(), guestmem_wasm3::LowerError>(())
/// ```
pub fn lower(wasm: &[u8]) -> Result<Vec<u8>, LowerError> {
    lower_with_stats(wasm).map(|(bytes, _)| bytes)
}

/// [`lower`], and what it changed.
///
/// # Errors
///
/// As [`lower`].
pub fn lower_with_stats(wasm: &[u8]) -> Result<(Vec<u8>, LowerStats), LowerError> {
    if let Err(e) = Validator::new_with_features(input_features()).validate_all(wasm) {
        let mut error = parser_error(&e);
        // Valid with every proposal: it uses one that cannot be lowered, even if the message
        // does not say which.
        if error.unsupported.is_none()
            && Validator::new_with_features(WasmFeatures::all())
                .validate_all(wasm)
                .is_ok()
        {
            error.unsupported = Some("a post-MVP proposal");
        }
        return Err(error);
    }
    let plan = Plan::scan(wasm)?;
    let mut lowerer = Lowerer {
        plan,
        stats: LowerStats::default(),
    };
    let bytes = lowerer.emit(wasm)?;
    if let Err(e) = crate::validate(&bytes) {
        // Not expected: what lowering keeps is what the input validation and the scan let
        // through, and that is MVP. The offset would be in the lowered module: leave it out.
        return Err(ValidationError {
            unsupported: e.unsupported,
            message: alloc::format!("{} (in the lowered module)", e.message),
            offset: None,
        });
    }
    Ok((bytes, lowerer.stats))
}

fn parser_error(e: &BinaryReaderError) -> LowerError {
    ValidationError {
        unsupported: feature_of(e.message()),
        message: e.message().to_string(),
        offset: usize::try_from(e.offset()).ok(),
    }
}

fn refused(feature: &'static str, message: impl Into<String>, offset: u64) -> LowerError {
    ValidationError {
        unsupported: Some(feature),
        message: message.into(),
        offset: usize::try_from(offset).ok(),
    }
}

fn invalid(message: impl Into<String>) -> LowerError {
    ValidationError {
        unsupported: None,
        message: message.into(),
        offset: None,
    }
}

/// What lowering does with one instruction.
enum Action {
    /// Re-encode it.
    Keep,
    /// `call` the copy helper.
    Copy,
    /// `call` the fill helper.
    Fill,
    /// `call` the size helper.
    Size,
    /// Replace it with `nop`.
    Nop,
    /// Replace it with `select`.
    Select,
    /// Refuse the module: the feature.
    Refuse(&'static str),
}

/// The action for `op`, in a module valid under [`input_features`].
fn action(op: &Operator<'_>) -> Action {
    match op {
        Operator::MemoryCopy {
            dst_mem: 0,
            src_mem: 0,
        } => Action::Copy,
        Operator::MemoryFill { mem: 0 } => Action::Fill,
        Operator::MemorySize { mem: 0 } => Action::Size,
        Operator::MemoryCopy { .. } | Operator::MemoryFill { .. } => Action::Refuse("multi-memory"),
        Operator::DataDrop { .. } => Action::Nop,
        Operator::MemoryInit { .. } => Action::Refuse("bulk-memory (memory.init)"),
        Operator::TableInit { .. } => Action::Refuse("bulk-memory (table.init)"),
        Operator::ElemDrop { .. } => Action::Refuse("bulk-memory (elem.drop)"),
        Operator::TableCopy { .. } => Action::Refuse("bulk-memory (table.copy)"),
        Operator::TypedSelect { ty } if !ty.is_reference_type() => Action::Select,
        Operator::TypedSelect { .. } | Operator::TypedSelectMulti { .. } => {
            Action::Refuse("reference-types (typed select)")
        }
        Operator::RefNull { .. } => Action::Refuse("reference-types (ref.null)"),
        Operator::RefIsNull => Action::Refuse("reference-types (ref.is_null)"),
        Operator::RefFunc { .. } => Action::Refuse("reference-types (ref.func)"),
        Operator::TableGet { .. } => Action::Refuse("reference-types (table.get)"),
        Operator::TableSet { .. } => Action::Refuse("reference-types (table.set)"),
        Operator::TableGrow { .. } => Action::Refuse("reference-types (table.grow)"),
        Operator::TableSize { .. } => Action::Refuse("reference-types (table.size)"),
        Operator::TableFill { .. } => Action::Refuse("reference-types (table.fill)"),
        Operator::CallIndirect { table_index, .. } if *table_index != 0 => {
            Action::Refuse("reference-types (call_indirect on another table)")
        }
        _ => Action::Keep,
    }
}

/// What the first pass learnt: how to renumber functions and which helpers to add.
#[derive(Default)]
struct Plan {
    /// The function type of every type index (`None` for other composite types).
    types: Vec<Option<FuncType>>,
    /// For each function import of the input, in order: the index of the import it is a
    /// duplicate of, if any (an earlier one).
    duplicate_of: Vec<Option<u32>>,
    /// New index of each function import of the input.
    import_index: Vec<u32>,
    /// How many function imports the output keeps.
    imports_kept: u32,
    /// How many functions the input defines.
    defined: u32,
    /// The initial size of table 0, when the module defines it.
    table0_min: Option<u64>,
    /// Whether a `memory.copy` / `memory.fill` / `memory.size` is used.
    uses_copy: bool,
    uses_fill: bool,
    uses_size: bool,
}

impl Plan {
    fn scan(wasm: &[u8]) -> Result<Plan, LowerError> {
        let mut plan = Plan::default();
        // The first function import of each module and name: its index and type.
        let mut imports: BTreeMap<(&str, &str), (u32, u32)> = BTreeMap::new();
        let mut tables = 0u32;
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(|e| parser_error(&e))? {
                Payload::TypeSection(reader) => {
                    for group in reader {
                        let group = group.map_err(|e| parser_error(&e))?;
                        for sub in group.types() {
                            plan.types.push(match &sub.composite_type.inner {
                                CompositeInnerType::Func(f) => Some(f.clone()),
                                _ => None,
                            });
                        }
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports_with_offsets() {
                        let (offset, import) = import.map_err(|e| parser_error(&e))?;
                        match import.ty {
                            TypeRef::Func(ty) | TypeRef::FuncExact(ty) => {
                                let index = plan.imports();
                                let key = (import.module, import.name);
                                let first = match imports.get(&key).copied() {
                                    None => {
                                        imports.insert(key, (index, ty));
                                        None
                                    }
                                    Some((first, other)) => {
                                        if plan.func_type(other) != plan.func_type(ty) {
                                            return Err(refused(
                                                "duplicate import of another type",
                                                alloc::format!(
                                                    "{}.{} is imported with two types",
                                                    import.module,
                                                    import.name
                                                ),
                                                offset,
                                            ));
                                        }
                                        Some(first)
                                    }
                                };
                                plan.duplicate_of.push(first);
                            }
                            TypeRef::Table(_) => tables = tables.saturating_add(1),
                            _ => {}
                        }
                    }
                }
                Payload::FunctionSection(reader) => plan.defined = reader.count(),
                Payload::TableSection(reader) => {
                    for table in reader {
                        let table = table.map_err(|e| parser_error(&e))?;
                        if tables == 0 {
                            plan.table0_min = Some(table.ty.initial);
                        }
                        tables = tables.saturating_add(1);
                    }
                }
                Payload::MemorySection(reader) => {
                    for memory in reader.into_iter_with_offsets() {
                        let (offset, memory) = memory.map_err(|e| parser_error(&e))?;
                        if memory.memory64 {
                            return Err(refused("memory64", "a 64-bit memory", offset));
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let mut reader = body.get_operators_reader().map_err(|e| parser_error(&e))?;
                    while !reader.eof() {
                        let (op, offset) =
                            reader.read_with_offset().map_err(|e| parser_error(&e))?;
                        match action(&op) {
                            Action::Copy => plan.uses_copy = true,
                            Action::Fill => plan.uses_fill = true,
                            Action::Size => plan.uses_size = true,
                            Action::Refuse(feature) => {
                                return Err(refused(feature, "cannot be lowered", offset))
                            }
                            Action::Keep | Action::Nop | Action::Select => {}
                        }
                    }
                }
                Payload::ElementSection(reader) => {
                    for element in reader.into_iter_with_offsets() {
                        let (offset, element) = element.map_err(|e| parser_error(&e))?;
                        if let ElementKind::Active { .. } = element.kind {
                            if let ElementItems::Expressions(_, exprs) = element.items {
                                for expr in exprs {
                                    let expr = expr.map_err(|e| parser_error(&e))?;
                                    if ref_func(&expr).is_none() {
                                        return Err(refused(
                                            "reference-types (element expression)",
                                            "an element that is not ref.func",
                                            offset,
                                        ));
                                    }
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if tables > 1 {
            return Err(ValidationError {
                unsupported: Some("reference-types (several tables)"),
                message: alloc::format!("{tables} tables"),
                offset: None,
            });
        }
        let mut kept = 0u32;
        for first in &plan.duplicate_of {
            let index = match first {
                Some(first) => plan
                    .import_index
                    .get(usize::try_from(*first).map_err(|_| too_many())?)
                    .copied()
                    .ok_or_else(too_many)?,
                None => {
                    let index = kept;
                    kept = kept.checked_add(1).ok_or_else(too_many)?;
                    index
                }
            };
            plan.import_index.push(index);
        }
        plan.imports_kept = kept;
        Ok(plan)
    }

    fn func_type(&self, ty: u32) -> Option<&FuncType> {
        self.types.get(usize::try_from(ty).ok()?)?.as_ref()
    }

    /// The number of function imports of the input.
    fn imports(&self) -> u32 {
        u32::try_from(self.duplicate_of.len()).unwrap_or(u32::MAX)
    }

    /// The new index of the input's function `func`.
    fn function(&self, func: u32) -> Option<u32> {
        match func.checked_sub(self.imports()) {
            None => self.import_index.get(usize::try_from(func).ok()?).copied(),
            Some(defined) => self.imports_kept.checked_add(defined),
        }
    }

    /// The type indices of the helpers, after the input's types: `(param i32 i32 i32)` for
    /// the copy and fill helpers, `(result i32)` for the size helper.
    fn helper_types(&self) -> (u32, u32) {
        let first = u32::try_from(self.types.len()).unwrap_or(u32::MAX);
        (first, first.saturating_add(1))
    }

    /// The helpers the module needs, with their function indices (after the defined
    /// functions) and type indices, in order.
    fn helpers(&self) -> Helpers {
        let (three, size_type) = self.helper_types();
        let mut next = self.imports_kept.saturating_add(self.defined);
        let mut take = |used: bool| {
            let index = used.then_some(next);
            next = next.saturating_add(u32::from(used));
            index
        };
        Helpers {
            copy: take(self.uses_copy),
            fill: take(self.uses_fill),
            size: take(self.uses_size),
            three,
            size_type,
        }
    }

    fn needs_helpers(&self) -> bool {
        self.uses_copy || self.uses_fill || self.uses_size
    }
}

/// The helper functions of a module: their indices, when it needs them, and their types.
struct Helpers {
    copy: Option<u32>,
    fill: Option<u32>,
    size: Option<u32>,
    /// `(param i32 i32 i32)`.
    three: u32,
    /// `(result i32)`.
    size_type: u32,
}

impl Helpers {
    /// Their functions' type indices, in order.
    fn types(&self) -> impl Iterator<Item = u32> + '_ {
        let three = [self.copy, self.fill]
            .into_iter()
            .flatten()
            .map(|_| self.three);
        three.chain(self.size.map(|_| self.size_type))
    }
}

fn too_many() -> LowerError {
    invalid("too many functions")
}

/// The function index of a `ref.func N` constant expression.
fn ref_func(expr: &wasmparser::ConstExpr<'_>) -> Option<u32> {
    let mut reader = expr.get_operators_reader();
    let Ok(Operator::RefFunc { function_index }) = reader.read() else {
        return None;
    };
    let Ok(Operator::End) = reader.read() else {
        return None;
    };
    reader.eof().then_some(function_index)
}

/// The value of an `i32.const N` constant expression.
fn i32_const(expr: &wasmparser::ConstExpr<'_>) -> Option<i32> {
    let mut reader = expr.get_operators_reader();
    let Ok(Operator::I32Const { value }) = reader.read() else {
        return None;
    };
    let Ok(Operator::End) = reader.read() else {
        return None;
    };
    reader.eof().then_some(value)
}

/// The second pass: re-encodes the module following the [`Plan`].
struct Lowerer {
    plan: Plan,
    stats: LowerStats,
}

/// An error of the re-encoder, which [`Lowerer`] never raises itself.
#[derive(Debug)]
enum Never {}

impl core::fmt::Display for Never {
    fn fmt(&self, _: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {}
    }
}

type Result2<T> = Result<T, ReencodeError<Never>>;

fn reencode_error(e: ReencodeError<Never>) -> LowerError {
    match e {
        ReencodeError::ParseError(e) => parser_error(&e),
        ReencodeError::UserError(never) => match never {},
        other => invalid(alloc::format!("cannot re-encode: {other}")),
    }
}

impl Reencode for Lowerer {
    type Error = Never;

    /// Re-encodes a function body without its dead code (see the [module docs](self)).
    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result2<()> {
        let mut f = self.new_function_with_parsed_locals(&func)?;
        let mut reader = func.get_operators_reader()?;
        // While the code is dead: how many blocks it has opened since it became dead.
        let mut dead: Option<u32> = None;
        while !reader.eof() {
            let op = reader.read()?;
            if let Some(depth) = dead {
                dead = match (&op, depth) {
                    // The end of the block whose code became dead, or its `else`: live again.
                    (Operator::End | Operator::Else, 0) => None,
                    (Operator::End, _) => Some(depth.saturating_sub(1)),
                    (
                        Operator::Block { .. }
                        | Operator::Loop { .. }
                        | Operator::If { .. }
                        | Operator::Try { .. }
                        | Operator::TryTable { .. },
                        _,
                    ) => Some(depth.saturating_add(1)),
                    _ => Some(depth),
                };
                if dead.is_some() {
                    self.stats.dead_instructions = self.stats.dead_instructions.saturating_add(1);
                    continue;
                }
            }
            let ends_live_code = matches!(
                op,
                Operator::Br { .. }
                    | Operator::BrTable { .. }
                    | Operator::Return
                    | Operator::Unreachable
            );
            f.instruction(&self.instruction(op)?);
            if ends_live_code {
                dead = Some(0);
            }
        }
        code.function(&f);
        Ok(())
    }

    fn function_index(&mut self, func: u32) -> Result2<u32> {
        // The input was validated: the index is in range.
        Ok(self.plan.function(func).unwrap_or(func))
    }

    fn instruction<'a>(&mut self, op: Operator<'a>) -> Result2<Instruction<'a>> {
        let helpers = self.plan.helpers();
        let stats = &mut self.stats;
        let (helper, count) = match action(&op) {
            Action::Copy => (helpers.copy, &mut stats.memory_copies),
            Action::Fill => (helpers.fill, &mut stats.memory_fills),
            Action::Size => (helpers.size, &mut stats.memory_sizes),
            Action::Nop => {
                stats.data_drops = stats.data_drops.saturating_add(1);
                return Ok(Instruction::Nop);
            }
            Action::Select => return Ok(Instruction::Select),
            // Refused by the scan.
            Action::Keep | Action::Refuse(_) => return utils::instruction(self, op),
        };
        match helper {
            Some(helper) => {
                *count = count.saturating_add(1);
                Ok(Instruction::Call(helper))
            }
            // Not expected: the scan saw every instruction that needs a helper.
            None => utils::instruction(self, op),
        }
    }
}

impl Lowerer {
    fn emit(&mut self, wasm: &[u8]) -> Result<Vec<u8>, LowerError> {
        let mut module = Module::new();
        // The code section being re-encoded, and how many bodies it still expects.
        let mut code: Option<(CodeSection, u32)> = None;
        for payload in Parser::new(0).parse_all(wasm) {
            let payload = payload.map_err(|e| parser_error(&e))?;
            self.section(&mut module, &mut code, payload)
                .map_err(reencode_error)?;
        }
        if code.is_some() {
            return Err(invalid("code section ends early"));
        }
        Ok(module.finish())
    }

    fn section(
        &mut self,
        module: &mut Module,
        code: &mut Option<(CodeSection, u32)>,
        payload: Payload<'_>,
    ) -> Result2<()> {
        match payload {
            Payload::Version { .. } | Payload::End(_) => {}
            Payload::TypeSection(reader) => {
                let mut types = TypeSection::new();
                self.parse_type_section(&mut types, reader)?;
                if self.plan.needs_helpers() {
                    types
                        .ty()
                        .function([ValType::I32, ValType::I32, ValType::I32], []);
                    types.ty().function([], [ValType::I32]);
                }
                module.section(&types);
            }
            Payload::ImportSection(reader) => {
                let mut imports = ImportSection::new();
                let mut func = 0usize;
                for import in reader.into_imports() {
                    let import = import?;
                    if let TypeRef::Func(_) | TypeRef::FuncExact(_) = import.ty {
                        let duplicate = self.plan.duplicate_of.get(func).copied().flatten();
                        func = func.saturating_add(1);
                        if duplicate.is_some() {
                            self.stats.merged_imports = self.stats.merged_imports.saturating_add(1);
                            continue;
                        }
                    }
                    imports.import(import.module, import.name, self.entity_type(import.ty)?);
                }
                module.section(&imports);
            }
            Payload::FunctionSection(reader) => {
                let mut functions = FunctionSection::new();
                self.parse_function_section(&mut functions, reader)?;
                for ty in self.plan.helpers().types() {
                    functions.function(ty);
                }
                module.section(&functions);
            }
            Payload::TableSection(reader) => {
                let mut tables = TableSection::new();
                self.parse_table_section(&mut tables, reader)?;
                module.section(&tables);
            }
            Payload::MemorySection(reader) => {
                let mut memories = MemorySection::new();
                self.parse_memory_section(&mut memories, reader)?;
                module.section(&memories);
            }
            Payload::GlobalSection(reader) => {
                let mut globals = GlobalSection::new();
                self.parse_global_section(&mut globals, reader)?;
                module.section(&globals);
            }
            Payload::ExportSection(reader) => {
                let mut exports = ExportSection::new();
                self.parse_export_section(&mut exports, reader)?;
                module.section(&exports);
            }
            Payload::StartSection { func, .. } => {
                module.section(&StartSection {
                    function_index: self.start_section(func)?,
                });
            }
            Payload::ElementSection(reader) => {
                let mut elements = ElementSection::new();
                for element in reader {
                    self.element(&mut elements, element?)?;
                }
                module.section(&elements);
            }
            Payload::DataCountSection { .. } => self.stats.dropped_data_count = true,
            Payload::DataSection(reader) => {
                let mut data = DataSection::new();
                for datum in reader {
                    let datum = datum?;
                    if let DataKind::Passive = datum.kind {
                        self.stats.dropped_data = self.stats.dropped_data.saturating_add(1);
                        continue;
                    }
                    self.parse_data(&mut data, datum)?;
                }
                module.section(&data);
            }
            Payload::CodeSectionStart { count, .. } => {
                *code = Some((CodeSection::new(), count));
                self.end_code(module, code);
            }
            Payload::CodeSectionEntry(body) => {
                let Some((section, left)) = code.as_mut() else {
                    return Err(ReencodeError::InvalidCodeSectionSize);
                };
                self.parse_function_body(section, body)?;
                *left = left.saturating_sub(1);
                self.end_code(module, code);
            }
            Payload::CustomSection(section) => self.custom(module, section),
            _ => return Err(ReencodeError::UnexpectedNonCoreModuleSection),
        }
        Ok(())
    }

    /// Finishes the code section once it has all its bodies: appends the helpers.
    fn end_code(&mut self, module: &mut Module, code: &mut Option<(CodeSection, u32)>) {
        if !matches!(code, Some((_, 0))) {
            return;
        }
        if let Some((mut section, _)) = code.take() {
            let helpers = self.plan.helpers();
            if helpers.copy.is_some() {
                section.function(&copy_helper());
            }
            if helpers.fill.is_some() {
                section.function(&fill_helper());
            }
            if helpers.size.is_some() {
                section.function(&size_helper());
            }
            module.section(&section);
        }
    }

    /// Re-encodes an element segment in its MVP form, or drops it when it is empty.
    fn element(
        &mut self,
        elements: &mut ElementSection,
        element: wasmparser::Element<'_>,
    ) -> Result2<()> {
        let offset_expr = match &element.kind {
            ElementKind::Active {
                table_index: None | Some(0),
                offset_expr,
            } => offset_expr,
            // Only `table.init` (refused by the scan) reads a passive segment, and only
            // `ref.func` (refused too) needs a declarative one: nothing uses them.
            ElementKind::Passive | ElementKind::Declared => {
                self.stats.dropped_elements = self.stats.dropped_elements.saturating_add(1);
                return Ok(());
            }
            // Another table: refused by the validation of the output.
            ElementKind::Active { .. } => return self.parse_element(elements, element),
        };
        let mut functions = Vec::new();
        match element.items.clone() {
            ElementItems::Functions(reader) => {
                for f in reader {
                    functions.push(self.function_index(f?)?);
                }
            }
            ElementItems::Expressions(RefType::FUNCREF, reader) => {
                for expr in reader {
                    let Some(f) = ref_func(&expr?) else {
                        // Refused by the scan.
                        return self.parse_element(elements, element);
                    };
                    functions.push(self.function_index(f)?);
                }
            }
            ElementItems::Expressions(..) => return self.parse_element(elements, element),
        }
        if functions.is_empty() {
            let inside = match (i32_const(offset_expr), self.plan.table0_min) {
                (Some(offset), Some(min)) => u64::try_from(offset).is_ok_and(|o| o <= min),
                _ => false,
            };
            if inside {
                self.stats.dropped_elements = self.stats.dropped_elements.saturating_add(1);
                return Ok(());
            }
        }
        let offset = self.const_expr(offset_expr.clone())?;
        elements.active(None, &offset, Elements::Functions(Cow::Owned(functions)));
        Ok(())
    }

    /// Keeps a custom section, renumbers the name section, drops DWARF.
    fn custom(&mut self, module: &mut Module, section: wasmparser::CustomSectionReader<'_>) {
        if section.name().starts_with(".debug_") {
            self.stats.dropped_custom = self.stats.dropped_custom.saturating_add(1);
            return;
        }
        if section.name() == "name" {
            match self.names(&section) {
                Some(names) => {
                    module.section(&names);
                }
                None => self.stats.dropped_custom = self.stats.dropped_custom.saturating_add(1),
            }
            return;
        }
        module.section(&CustomSection {
            name: Cow::Borrowed(section.name()),
            data: Cow::Borrowed(section.data()),
        });
    }

    /// The name section, renumbered, without the merged imports; `None` if it does not parse.
    fn names(
        &mut self,
        section: &wasmparser::CustomSectionReader<'_>,
    ) -> Option<wasm_encoder::NameSection> {
        let reader = wasmparser::NameSectionReader::new(wasmparser::BinaryReader::new(
            section.data(),
            section.data_offset(),
        ));
        let mut names = wasm_encoder::NameSection::new();
        for subsection in reader {
            match subsection.ok()? {
                wasmparser::Name::Function(map) => {
                    let mut out = wasm_encoder::NameMap::new();
                    for naming in map {
                        let naming = naming.ok()?;
                        if let Some(index) = self.kept_function(naming.index) {
                            out.append(index, naming.name);
                        }
                    }
                    names.functions(&out);
                }
                wasmparser::Name::Local(map) => {
                    let mut out = wasm_encoder::IndirectNameMap::new();
                    for naming in map {
                        let naming = naming.ok()?;
                        let Some(index) = self.kept_function(naming.index) else {
                            continue;
                        };
                        let mut inner = wasm_encoder::NameMap::new();
                        for local in naming.names {
                            let local = local.ok()?;
                            inner.append(local.index, local.name);
                        }
                        out.append(index, &inner);
                    }
                    names.locals(&out);
                }
                // Labels name code positions by function: leave them out.
                wasmparser::Name::Label(_) => {}
                other => self.parse_custom_name_subsection(&mut names, other).ok()?,
            }
        }
        Some(names)
    }

    /// The new index of function `func`, unless it is a merged duplicate import.
    fn kept_function(&self, func: u32) -> Option<u32> {
        let duplicate = self
            .plan
            .duplicate_of
            .get(usize::try_from(func).ok()?)
            .copied()
            .flatten();
        if duplicate.is_some() {
            return None;
        }
        self.plan.function(func)
    }
}

// The helpers. Both take `(i32 i32 i32)` as the instructions do: `memory.copy` (dst, src, n),
// `memory.fill` (dst, value, n); they trap (`unreachable`) before writing anything when a
// range ends past `memory.size` pages, and move 8-byte words, then the remaining bytes.

const DST: u32 = 0;
const SRC: u32 = 1;
const VALUE: u32 = 1;
const LEN: u32 = 2;
/// `memory.fill`'s value in every byte of an `i64` (a local of the fill helper).
const WORD: u32 = 3;

fn mem(align: u32) -> MemArg {
    MemArg {
        offset: 0,
        align,
        target: MemArgTarget::Memory(0),
        ordering: None,
    }
}

/// Traps unless `local + n <= memory.size * 64 KiB` (computed in 64 bits: no wrap-around).
///
/// `memory.size` comes first: wasm3 0.4.7 compiles it into its register without saving a value
/// already there, and then finds no operation for the comparison (`no operation found for
/// opcode`).
fn bounds_check(f: &mut Function, local: u32) {
    for i in [
        Instruction::MemorySize(0),
        Instruction::I64ExtendI32U,
        Instruction::I64Const(16),
        Instruction::I64Shl,
        Instruction::LocalGet(local),
        Instruction::I64ExtendI32U,
        Instruction::LocalGet(LEN),
        Instruction::I64ExtendI32U,
        Instruction::I64Add,
        Instruction::I64LtU,
        Instruction::If(BlockType::Empty),
        Instruction::Unreachable,
        Instruction::End,
    ] {
        f.instruction(&i);
    }
}

/// `local += by`.
fn advance(local: u32, by: i32) -> [Instruction<'static>; 4] {
    [
        Instruction::LocalGet(local),
        Instruction::I32Const(by),
        Instruction::I32Add,
        Instruction::LocalSet(local),
    ]
}

/// `n -= by`.
fn shrink(by: i32) -> [Instruction<'static>; 4] {
    [
        Instruction::LocalGet(LEN),
        Instruction::I32Const(by),
        Instruction::I32Sub,
        Instruction::LocalSet(LEN),
    ]
}

/// `block loop <exit when n < at_least> body br 0 end end`.
fn loop_while(f: &mut Function, at_least: i32, body: &[Instruction<'_>]) {
    let exit: [Instruction<'_>; 6] = [
        Instruction::Block(BlockType::Empty),
        Instruction::Loop(BlockType::Empty),
        Instruction::LocalGet(LEN),
        Instruction::I32Const(at_least),
        Instruction::I32LtU,
        Instruction::BrIf(1),
    ];
    for i in
        exit.iter()
            .chain(body)
            .chain(&[Instruction::Br(0), Instruction::End, Instruction::End])
    {
        f.instruction(i);
    }
}

/// `memory.copy` as a function: `(dst src n)`, `memmove` semantics.
fn copy_helper() -> Function {
    let mut f = Function::new([]);
    bounds_check(&mut f, SRC);
    bounds_check(&mut f, DST);
    for i in [
        Instruction::LocalGet(DST),
        Instruction::LocalGet(SRC),
        Instruction::I32LeU,
        Instruction::If(BlockType::Empty),
    ] {
        f.instruction(&i);
    }
    // Forwards (dst <= src): every word is read before the store that could overwrite it.
    let mut words = alloc::vec![
        Instruction::LocalGet(DST),
        Instruction::LocalGet(SRC),
        Instruction::I64Load(mem(0)),
        Instruction::I64Store(mem(0)),
    ];
    words.extend(advance(DST, 8));
    words.extend(advance(SRC, 8));
    words.extend(shrink(8));
    loop_while(&mut f, 8, &words);
    let mut bytes = alloc::vec![
        Instruction::LocalGet(DST),
        Instruction::LocalGet(SRC),
        Instruction::I32Load8U(mem(0)),
        Instruction::I32Store8(mem(0)),
    ];
    bytes.extend(advance(DST, 1));
    bytes.extend(advance(SRC, 1));
    bytes.extend(shrink(1));
    loop_while(&mut f, 1, &bytes);
    f.instruction(&Instruction::Else);
    // Backwards (dst > src), from the end: `n` counts down first, so `dst + n` never wraps.
    for (size, load, store) in [
        (
            8,
            Instruction::I64Load(mem(0)),
            Instruction::I64Store(mem(0)),
        ),
        (
            1,
            Instruction::I32Load8U(mem(0)),
            Instruction::I32Store8(mem(0)),
        ),
    ] {
        let mut body = Vec::from(shrink(size));
        body.extend([
            Instruction::LocalGet(DST),
            Instruction::LocalGet(LEN),
            Instruction::I32Add,
            Instruction::LocalGet(SRC),
            Instruction::LocalGet(LEN),
            Instruction::I32Add,
            load,
            store,
        ]);
        loop_while(&mut f, size, &body);
    }
    f.instruction(&Instruction::End);
    f.instruction(&Instruction::End);
    f
}

/// `memory.fill` as a function: `(dst value n)`, the value's low byte.
fn fill_helper() -> Function {
    let mut f = Function::new([(1, ValType::I64)]);
    bounds_check(&mut f, DST);
    for i in [
        Instruction::LocalGet(VALUE),
        Instruction::I64ExtendI32U,
        Instruction::I64Const(0xff),
        Instruction::I64And,
        Instruction::I64Const(0x0101_0101_0101_0101),
        Instruction::I64Mul,
        Instruction::LocalSet(WORD),
    ] {
        f.instruction(&i);
    }
    let mut words = alloc::vec![
        Instruction::LocalGet(DST),
        Instruction::LocalGet(WORD),
        Instruction::I64Store(mem(0)),
    ];
    words.extend(advance(DST, 8));
    words.extend(shrink(8));
    loop_while(&mut f, 8, &words);
    let mut bytes = alloc::vec![
        Instruction::LocalGet(DST),
        Instruction::LocalGet(VALUE),
        Instruction::I32Store8(mem(0)),
    ];
    bytes.extend(advance(DST, 1));
    bytes.extend(shrink(1));
    loop_while(&mut f, 1, &bytes);
    f.instruction(&Instruction::End);
    f
}

/// `memory.size` as a function.
fn size_helper() -> Function {
    let mut f = Function::new([]);
    f.instruction(&Instruction::MemorySize(0));
    f.instruction(&Instruction::End);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [
            &b""[..],
            b"\0asm",
            b"\0asm\x01\0\0\0\x01\xff",
            b"not wasm at all",
        ] {
            let e = lower(bytes).unwrap_err();
            assert_eq!(e.unsupported, None, "{e}");
        }
    }

    #[test]
    fn helpers_are_valid_mvp() {
        let mut module = Module::new();
        let mut types = TypeSection::new();
        types
            .ty()
            .function([ValType::I32, ValType::I32, ValType::I32], []);
        types.ty().function([], [ValType::I32]);
        module.section(&types);
        let mut funcs = FunctionSection::new();
        funcs.function(0).function(0).function(1);
        module.section(&funcs);
        let mut memories = MemorySection::new();
        memories.memory(wasm_encoder::MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        module.section(&memories);
        let mut code = CodeSection::new();
        code.function(&copy_helper())
            .function(&fill_helper())
            .function(&size_helper());
        module.section(&code);
        let bytes = module.finish();
        crate::validate(&bytes).unwrap();
    }
}
