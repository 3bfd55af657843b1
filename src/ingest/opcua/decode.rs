//! Pure translation of OPC UA answers into trueyaw terms: one DataValue into a number or a
//! reason it has none, a failed service call into a quality flag, and an advertised endpoint
//! URL into one this poller can reach.

use opcua::types::{DataValue, StatusCode, Variant};

use crate::domain::Quality;

/// What one DataValue of a Read response holds.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Decoded {
    /// A numeric value with Good status.
    Value(f64),
    /// The server has no usable value: a Bad or Uncertain status, or no value at all.
    Missing(StatusCode),
    /// A Good value of a type that is not a number (names the type, for the log).
    WrongType(&'static str),
}

/// Decodes one DataValue. Uncertain values count as missing: OPC UA servers use Uncertain for
/// "last usable value" and substituted values, and a stale vane reading paired with a fresh
/// power reading would teach the model a misalignment that never happened.
pub(super) fn decode(value: &DataValue) -> Decoded {
    // An absent status means Good (OPC UA Part 4, DataValue encoding).
    let status = value.status.unwrap_or(StatusCode::Good);
    if !status.is_good() {
        return Decoded::Missing(status);
    }
    match &value.value {
        None | Some(Variant::Empty) => Decoded::Missing(status),
        Some(v) => number(v).map_or_else(|| Decoded::WrongType(type_name(v)), Decoded::Value),
    }
}

/// Any numeric scalar (controllers differ: Float, Double, Int16, UInt16 are all common).
fn number(v: &Variant) -> Option<f64> {
    Some(match v {
        Variant::Boolean(b) => f64::from(u8::from(*b)),
        Variant::SByte(x) => f64::from(*x),
        Variant::Byte(x) => f64::from(*x),
        Variant::Int16(x) => f64::from(*x),
        Variant::UInt16(x) => f64::from(*x),
        Variant::Int32(x) => f64::from(*x),
        Variant::UInt32(x) => f64::from(*x),
        Variant::Int64(x) => *x as f64,
        Variant::UInt64(x) => *x as f64,
        Variant::Float(x) => f64::from(*x),
        Variant::Double(x) => *x,
        _ => return None,
    })
}

fn type_name(v: &Variant) -> &'static str {
    match v {
        Variant::String(_) => "String",
        Variant::DateTime(_) => "DateTime",
        Variant::ByteString(_) => "ByteString",
        Variant::LocalizedText(_) => "LocalizedText",
        Variant::Array(_) => "Array",
        Variant::ExtensionObject(_) => "ExtensionObject",
        _ => "non-numeric",
    }
}

/// The quality flag for a Read service call that failed as a whole, and whether the session
/// must be dropped (true when the channel can no longer be trusted or is gone).
pub(super) fn classify(status: StatusCode) -> (Quality, bool) {
    // Compare the code itself, without the info bits a server may set.
    let code = StatusCode::from(status.bits() & 0xFFFF_0000);
    match code {
        StatusCode::BadTimeout | StatusCode::BadRequestTimeout => (Quality::TIMEOUT, true),
        StatusCode::BadNotConnected
        | StatusCode::BadConnectionClosed
        | StatusCode::BadConnectionRejected
        | StatusCode::BadCommunicationError
        | StatusCode::BadNoCommunication
        | StatusCode::BadDisconnect
        | StatusCode::BadEndOfStream
        | StatusCode::BadSecureChannelClosed
        | StatusCode::BadSecureChannelIdInvalid
        | StatusCode::BadTcpSecureChannelUnknown
        | StatusCode::BadTcpInternalError
        | StatusCode::BadSessionClosed
        | StatusCode::BadSessionIdInvalid
        | StatusCode::BadSessionNotActivated
        | StatusCode::BadServerNotConnected
        | StatusCode::BadServerHalted
        | StatusCode::BadShutdown
        | StatusCode::BadInvalidState => (Quality::CONNECTION, true),
        StatusCode::BadDecodingError
        | StatusCode::BadEncodingError
        | StatusCode::BadUnknownResponse
        | StatusCode::BadTcpMessageTooLarge
        | StatusCode::BadResponseTooLarge => (Quality::BAD_FRAME, true),
        // The server understood and refused (BadTooManyOperations, BadUserAccessDenied, ...):
        // the session is fine, the device said no.
        _ => (Quality::DEVICE_EXCEPTION, false),
    }
}

/// The URL to open the session on: the server's advertised endpoint path on the host and port
/// the operator configured. Servers often advertise a hostname or port the poller cannot reach
/// (`0.0.0.0`, a container name, a NAT-ed port); the path, though, can matter to the server
/// (Python asyncua serves `/freeopcua/server/`). A configured URL with its own path wins.
pub(super) fn session_url(configured: &str, advertised: &str) -> String {
    let (authority, path) = split_url(configured);
    if !path.trim_matches('/').is_empty() {
        return configured.to_string();
    }
    let (_, advertised_path) = split_url(advertised);
    format!("opc.tcp://{authority}{advertised_path}")
}

/// Splits `opc.tcp://host:port/path` into `host:port` and `/path` (possibly empty).
fn split_url(url: &str) -> (&str, &str) {
    let rest = url.strip_prefix("opc.tcp://").unwrap_or(url);
    match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_any_width_decode_and_bad_or_uncertain_values_are_missing() {
        assert_eq!(decode(&DataValue::value_only(Variant::Double(12.5))), Decoded::Value(12.5));
        assert_eq!(decode(&DataValue::value_only(Variant::Float(-3.25))), Decoded::Value(-3.25));
        assert_eq!(decode(&DataValue::value_only(Variant::UInt16(2))), Decoded::Value(2.0));
        assert_eq!(decode(&DataValue::value_only(Variant::Int16(-7))), Decoded::Value(-7.0));
        let bad = DataValue { status: Some(StatusCode::BadSensorFailure), ..Default::default() };
        assert_eq!(decode(&bad), Decoded::Missing(StatusCode::BadSensorFailure));
        let uncertain = DataValue::new_now_status(Variant::Double(1.0), StatusCode::UncertainLastUsableValue);
        assert!(matches!(decode(&uncertain), Decoded::Missing(_)));
        assert!(matches!(decode(&DataValue::null()), Decoded::Missing(_)));
        assert_eq!(decode(&DataValue::value_only(Variant::from("12.5"))), Decoded::WrongType("String"));
    }

    #[test]
    fn service_errors_map_to_flags_and_decide_whether_the_session_survives() {
        assert_eq!(classify(StatusCode::BadTimeout), (Quality::TIMEOUT, true));
        assert_eq!(classify(StatusCode::BadNotConnected), (Quality::CONNECTION, true));
        assert_eq!(classify(StatusCode::BadSessionIdInvalid), (Quality::CONNECTION, true));
        assert_eq!(classify(StatusCode::BadTooManyOperations), (Quality::DEVICE_EXCEPTION, false));
        assert_eq!(classify(StatusCode::BadDecodingError), (Quality::BAD_FRAME, true));
    }

    #[test]
    fn session_url_keeps_the_configured_address_and_the_advertised_path() {
        let url = session_url("opc.tcp://10.0.0.5:4840", "opc.tcp://0.0.0.0:4840/freeopcua/server/");
        assert_eq!(url, "opc.tcp://10.0.0.5:4840/freeopcua/server/");
        assert_eq!(session_url("opc.tcp://127.0.0.1:9", "opc.tcp://sim:4840/"), "opc.tcp://127.0.0.1:9/");
        assert_eq!(session_url("opc.tcp://h:1/ua", "opc.tcp://x:2/other"), "opc.tcp://h:1/ua");
        assert_eq!(session_url("opc.tcp://h:1", "opc.tcp://x:2"), "opc.tcp://h:1");
    }
}
