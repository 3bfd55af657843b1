//! The tokio-modbus [`Service`] that answers one SCADA request: unit lookup, request checks,
//! encoding, and the request and exception counters behind `/metrics`.

use std::future::{Ready, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio_modbus::server::Service;
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};

use super::{INPUT_REGISTERS, ScadaSource, encode};

/// Largest quantity of registers one read may ask for (Modbus application protocol, 0x04).
const MAX_READ_QUANTITY: u16 = 125;

/// Answers SCADA requests from a [`ScadaSource`]; cheap to clone, one clone per connection.
#[derive(Clone)]
pub struct ScadaService {
    source: Arc<dyn ScadaSource>,
    /// Every request answered, with registers or with an exception.
    requests: Arc<AtomicU64>,
    /// The subset of `requests` answered with an exception.
    exceptions: Arc<AtomicU64>,
}

impl std::fmt::Debug for ScadaService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScadaService")
            .field("requests", &self.requests)
            .field("exceptions", &self.exceptions)
            .finish_non_exhaustive()
    }
}

impl ScadaService {
    /// A service reading `source`, counting into fresh counters.
    pub fn new(source: Arc<dyn ScadaSource>) -> Self {
        Self { source, requests: Arc::default(), exceptions: Arc::default() }
    }

    /// Requests answered so far (registers or exception), shared by all clones.
    pub fn requests_served(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.requests)
    }

    /// Requests answered with an exception so far, shared by all clones.
    pub fn exceptions_sent(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.exceptions)
    }

    /// The answer to one request, without counting it.
    pub fn answer(&self, unit_id: u8, request: &Request<'_>) -> Result<Response, ExceptionCode> {
        // An unknown unit first: a gateway answers 0x0B whatever the function, and a poller
        // misconfigured with the wrong unit id should learn that rather than a misleading code.
        let values = self.source.values(unit_id).ok_or(ExceptionCode::GatewayTargetDevice)?;
        let &Request::ReadInputRegisters(start, quantity) = request else {
            return Err(ExceptionCode::IllegalFunction);
        };
        if quantity == 0 || quantity > MAX_READ_QUANTITY {
            return Err(ExceptionCode::IllegalDataValue);
        }
        // u32: start + quantity can pass 65535.
        if u32::from(start) + u32::from(quantity) > u32::from(INPUT_REGISTERS) {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        let words = encode(&values);
        Ok(Response::ReadInputRegisters(words[usize::from(start)..usize::from(start + quantity)].to_vec()))
    }
}

impl Service for ScadaService {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Response, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        let answer = self.answer(req.slave, &req.request);
        self.requests.fetch_add(1, Ordering::Relaxed);
        if let Err(code) = &answer {
            self.exceptions.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(unit_id = req.slave, function = %req.request.function_code(), exception = %code,
                "SCADA request answered with an exception");
        }
        ready(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ScadaStatus, ScadaValues};
    use super::*;

    struct One;
    impl ScadaSource for One {
        fn values(&self, unit_id: u8) -> Option<ScadaValues> {
            (unit_id == 3).then_some(ScadaValues {
                corrected_relative_deg: Some(-1.5),
                corrected_absolute_deg: Some(90.0),
                yaw_offset_deg: None,
                ci95_half_width_deg: Some(0.25),
                model_version: Some(2),
                reading_age_s: Some(1.0),
                status: ScadaStatus::LowConfidence,
            })
        }
    }

    fn answer(unit: u8, request: Request<'static>) -> Result<Response, ExceptionCode> {
        ScadaService::new(Arc::new(One)).answer(unit, &request)
    }

    #[test]
    fn reads_any_sub_range_of_the_seven_registers() {
        assert_eq!(
            answer(3, Request::ReadInputRegisters(0, 7)),
            Ok(Response::ReadInputRegisters(vec![(-150i16) as u16, 9000, 0x8000, 25, 2, 1, 3]))
        );
        assert_eq!(answer(3, Request::ReadInputRegisters(6, 1)), Ok(Response::ReadInputRegisters(vec![3])));
    }

    #[test]
    fn checks_unit_then_function_then_quantity_then_address() {
        use ExceptionCode::*;
        assert_eq!(answer(4, Request::WriteSingleRegister(0, 1)), Err(GatewayTargetDevice));
        assert_eq!(answer(3, Request::ReadHoldingRegisters(0, 200)), Err(IllegalFunction));
        assert_eq!(answer(3, Request::WriteSingleRegister(0, 1)), Err(IllegalFunction));
        assert_eq!(answer(3, Request::Custom(0x41, vec![1, 2].into())), Err(IllegalFunction));
        assert_eq!(answer(3, Request::ReadInputRegisters(100, 0)), Err(IllegalDataValue));
        assert_eq!(answer(3, Request::ReadInputRegisters(0, 126)), Err(IllegalDataValue));
        assert_eq!(answer(3, Request::ReadInputRegisters(0, 8)), Err(IllegalDataAddress));
        assert_eq!(answer(3, Request::ReadInputRegisters(7, 1)), Err(IllegalDataAddress));
        assert_eq!(answer(3, Request::ReadInputRegisters(65535, 125)), Err(IllegalDataAddress));
    }

    #[test]
    fn counts_requests_and_exceptions() {
        let service = ScadaService::new(Arc::new(One));
        let (requests, exceptions) = (service.requests_served(), service.exceptions_sent());
        let call = |unit, request| service.call(SlaveRequest { slave: unit, request }).into_inner();
        assert!(call(3, Request::ReadInputRegisters(0, 7)).is_ok());
        assert!(call(9, Request::ReadInputRegisters(0, 7)).is_err());
        assert!(call(3, Request::ReadInputRegisters(0, 1)).is_ok());
        assert_eq!(requests.load(Ordering::Relaxed), 3);
        assert_eq!(exceptions.load(Ordering::Relaxed), 1);
    }
}
