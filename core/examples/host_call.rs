//! One host function with the three kinds of argument a C guest passes: a pointer to a struct,
//! a string (pointer and length), and an out-parameter the host writes its result to.
//!
//! ```c
//! struct sensor_req {          // 8 bytes, aligned to 4
//!     uint32_t channel;        // offset 0
//!     uint16_t oversample;     // offset 4, then 2 bytes of padding
//! };
//! struct reading {             // 16 bytes, aligned to 8
//!     uint64_t timestamp_us;   // offset 0
//!     int32_t  value;          // offset 8, in the unit asked for
//!     uint16_t channel;        // offset 12, then 2 bytes of padding
//! };
//! // unit: "C", "mC" or "F", not NUL-terminated. Returns 0, or an error code.
//! int32_t sensor_read(const struct sensor_req *req, const char *unit, uint32_t unit_len,
//!                     struct reading *out);
//! ```
//!
//! The host function gets the four guest integers, makes typed pointers of them, reads and
//! checks every input and checks the out-parameter before its one side effect (starting a
//! conversion on the sensor): a refused call leaves the sensor and guest memory unchanged.
//!
//! Run it with `cargo run -p guestmem --example host_call`.

use std::cell::Cell;
use std::error::Error;
use std::fmt;

use guestmem::{guest_struct, GuestError, GuestFrame, GuestPtr, GuestType, Region};

guest_struct! {
    /// `struct sensor_req`.
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct SensorReq {
        channel: u32,
        oversample: u16,
    }
}

guest_struct! {
    /// `struct reading`.
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Reading {
        timestamp_us: u64,
        value: i32,
        channel: u16,
    }
}

/// Why `sensor_read` failed: the guest's memory, or the request itself.
#[derive(Debug, PartialEq)]
enum CallError {
    /// A pointer argument could not be used (the guest's fault).
    Guest(GuestError),
    /// `unit` is none of "C", "mC", "F".
    UnknownUnit,
    /// No sensor on that channel.
    NoSuchChannel,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Guest(e) => write!(f, "bad guest argument: {e}"),
            CallError::UnknownUnit => f.write_str("unknown unit"),
            CallError::NoSuchChannel => f.write_str("no sensor on that channel"),
        }
    }
}

impl Error for CallError {}

impl From<GuestError> for CallError {
    fn from(e: GuestError) -> Self {
        CallError::Guest(e)
    }
}

/// The host's side: two temperature sensors, and a count of conversions started.
struct Sensors {
    millicelsius: [i32; 2],
    conversions: Cell<u32>,
    now_us: u64,
}

impl Sensors {
    /// Starts a conversion (the side effect) and returns the value in milli-degrees Celsius.
    fn convert(&self, channel: u32, _oversample: u16) -> Option<i32> {
        let value = *self.millicelsius.get(usize::try_from(channel).ok()?)?;
        self.conversions
            .set(self.conversions.get().saturating_add(1));
        Some(value)
    }
}

/// `sensor_read(req, unit, unit_len, out)`, with the guest's arguments as the interpreter
/// passes them: offsets and lengths.
fn sensor_read(
    mem: &GuestFrame<'_>,
    sensors: &Sensors,
    req: u32,
    unit: u32,
    unit_len: u32,
    out: u32,
) -> Result<(), CallError> {
    // Typed pointers: making them checks nothing.
    let req = GuestPtr::<SensorReq>::new(mem, req);
    let unit = GuestPtr::<str>::new(mem, (unit, unit_len));
    let out = GuestPtr::<Reading>::new(mem, out);

    // The struct: bounds and alignment checked once, fields decoded from a copy.
    let SensorReq {
        channel,
        oversample,
    } = req.read()?;
    // The string: copied into a stack buffer, and the copy checked as UTF-8 (the guest cannot
    // change it after the check). Longer than the buffer is `BufferTooSmall`.
    let mut buf = [0u8; 8];
    let scale = match unit.copy_to_buf(&mut buf)? {
        "mC" => Unit::MilliCelsius,
        "C" => Unit::Celsius,
        "F" => Unit::Fahrenheit,
        _ => return Err(CallError::UnknownUnit),
    };
    // The out-parameter, checked before the side effect: all or nothing.
    out.as_array(1).validate_write()?;
    let channel_u16 = u16::try_from(channel).map_err(|_| CallError::NoSuchChannel)?;
    let value = sensors
        .convert(channel, oversample)
        .ok_or(CallError::NoSuchChannel)?;
    out.write(Reading {
        timestamp_us: sensors.now_us,
        value: scale.of_millicelsius(value),
        channel: channel_u16,
    })?;
    Ok(())
}

/// The units a guest may ask for.
enum Unit {
    MilliCelsius,
    Celsius,
    Fahrenheit,
}

impl Unit {
    // In `i64`, an `i32` times 9 cannot overflow, and the result fits in `i32` again.
    #[allow(clippy::arithmetic_side_effects)]
    fn of_millicelsius(&self, mc: i32) -> i32 {
        let mc = i64::from(mc);
        let v = match self {
            Unit::MilliCelsius => mc,
            Unit::Celsius => mc / 1000,
            Unit::Fahrenheit => mc * 9 / 5000 + 32,
        };
        i32::try_from(v).unwrap_or(i32::MAX)
    }
}

/// Where the guest's C code put the arguments before its calls.
const REQ_CH1: u32 = 16;
const REQ_CH0: u32 = 24;
const REQ_CH9: u32 = 8;
/// `"mC"` at 32, `"C"` at 33, `"K"` at 34, `"F"` at 35, a byte that is not UTF-8 at 36.
const UNITS: u32 = 32;
const OUT: u32 = 48;

fn main() -> Result<(), Box<dyn Error>> {
    assert_eq!(<SensorReq as GuestType>::guest_size(), 8);
    assert_eq!(<Reading as GuestType>::guest_size(), 16);

    let sensors = Sensors {
        millicelsius: [21_500, -4_000],
        conversions: Cell::new(0),
        now_us: 1_000_000,
    };
    let mut memory = [0xaau8; 128];
    let mem = GuestFrame::new(&mut memory);
    for (at, channel) in [(REQ_CH1, 1), (REQ_CH0, 0), (REQ_CH9, 9)] {
        let req = SensorReq {
            channel,
            oversample: 4,
        };
        GuestPtr::<SensorReq>::new(&mem, at).write(req)?;
    }
    GuestPtr::<u8>::new(&mem, UNITS)
        .as_array(5)
        .copy_from_slice(b"mCKF\xff")?;

    // An honest call.
    sensor_read(&mem, &sensors, REQ_CH1, UNITS, 2, OUT)?;
    let reading = GuestPtr::<Reading>::new(&mem, OUT).read()?;
    let expected = Reading {
        timestamp_us: 1_000_000,
        value: -4_000,
        channel: 1,
    };
    assert_eq!(reading, expected);
    // The bytes the guest sees: little-endian fields, and the padding zeroed (no 0xaa left).
    let mut raw = [0u8; 16];
    GuestPtr::<[u8]>::new(&mem, (OUT, 16)).copy_to_slice(&mut raw)?;
    assert_eq!(
        raw,
        [64, 66, 15, 0, 0, 0, 0, 0, 96, 240, 255, 255, 1, 0, 0, 0]
    );
    println!("sensor_read(ch 1, \"mC\") -> {reading:?}");

    // Other units: the string argument is just another range.
    sensor_read(&mem, &sensors, REQ_CH1, UNITS + 1, 1, OUT)?;
    assert_eq!(GuestPtr::<Reading>::new(&mem, OUT).read()?.value, -4);
    sensor_read(&mem, &sensors, REQ_CH0, UNITS + 3, 1, OUT)?;
    let reading = GuestPtr::<Reading>::new(&mem, OUT).read()?;
    assert_eq!((reading.channel, reading.value), (0, 70));
    println!("sensor_read(ch 0, \"F\")  -> {reading:?}");
    assert_eq!(sensors.conversions.get(), 3);

    // Hostile or mistaken calls: each refused before the conversion, nothing written.
    let refused = [
        (
            "misaligned struct",
            (REQ_CH1 + 2, UNITS, 2, OUT),
            CallError::Guest(GuestError::PtrNotAligned(Region::new(REQ_CH1 + 2, 8), 4)),
        ),
        (
            "string past the end of memory",
            (REQ_CH1, 124, 5, OUT),
            CallError::Guest(GuestError::PtrOutOfBounds(Region::new(124, 5))),
        ),
        (
            "string longer than the host's buffer",
            (REQ_CH1, UNITS, 9, OUT),
            CallError::Guest(GuestError::BufferTooSmall {
                needed: 9,
                available: 8,
            }),
        ),
        (
            "unknown unit",
            (REQ_CH1, UNITS + 2, 1, OUT),
            CallError::UnknownUnit,
        ),
        (
            "out-parameter past the end of memory",
            (REQ_CH1, UNITS, 2, 120),
            CallError::Guest(GuestError::PtrOutOfBounds(Region::new(120, 16))),
        ),
        (
            "misaligned out-parameter",
            (REQ_CH1, UNITS, 2, OUT + 4),
            CallError::Guest(GuestError::PtrNotAligned(Region::new(OUT + 4, 16), 8)),
        ),
        (
            "no sensor on channel 9",
            (REQ_CH9, UNITS, 2, OUT),
            CallError::NoSuchChannel,
        ),
    ];
    let before = GuestPtr::<Reading>::new(&mem, OUT).read()?;
    for (what, (req, unit, unit_len, out), expected) in refused {
        let result = sensor_read(&mem, &sensors, req, unit, unit_len, out);
        println!("{what}: {result:?}");
        assert_eq!(result, Err(expected), "{what}");
    }
    let result = sensor_read(&mem, &sensors, REQ_CH1, UNITS + 4, 1, OUT);
    println!("unit not UTF-8: {result:?}");
    assert!(matches!(
        result,
        Err(CallError::Guest(GuestError::InvalidUtf8(_)))
    ));
    assert_eq!(sensors.conversions.get(), 3, "no conversion started");
    assert_eq!(GuestPtr::<Reading>::new(&mem, OUT).read()?, before);

    println!("host_call: all checks passed");
    Ok(())
}
