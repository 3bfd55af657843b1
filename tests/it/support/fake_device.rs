//! A misbehaving Modbus TCP device written at the byte level, to prove that malformed frames
//! and exception responses become quality flags. Each request is answered by the next
//! scripted [`Answer`]; once the script runs out every request gets a good answer.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use trueyaw::domain::{RegisterMap, Signal};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A correct answer with the device's values.
    Good,
    /// A Modbus exception response with this code.
    Exception(u8),
    /// Bytes that are not a Modbus TCP frame (protocol id != 0).
    Garbled,
    /// A well-formed frame carrying fewer registers than asked for.
    Short,
    /// An answer to a different transaction id.
    WrongTransaction,
    /// Half a frame, then silence (the client must time out).
    HalfThenSilence,
    /// Close the connection without answering.
    Hangup,
}

/// A turbine running at 7 m/s: the values [`FakeDevice::steady`] serves.
pub const STEADY: [(Signal, f64); 7] = [
    (Signal::WindSpeed, 7.0),
    (Signal::Vane, 1.0),
    (Signal::NacellePosition, 90.0),
    (Signal::Power, 900.0),
    (Signal::RotorSpeed, 12.0),
    (Signal::Pitch, 0.0),
    (Signal::State, 1.0),
];

pub struct FakeDevice {
    pub port: u16,
    script: Arc<Mutex<VecDeque<Answer>>>,
}

impl FakeDevice {
    /// Starts a device answering `script` in order, then [`Answer::Good`] forever, serving
    /// input registers 0-7 encoded from `values` with the generic map.
    pub async fn start(script: Vec<Answer>, values: [(Signal, f64); 7]) -> FakeDevice {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let map = RegisterMap::generic();
        let mut registers = vec![0u16; 8];
        for (signal, v) in values {
            let spec = &map.signals[&signal];
            for (i, w) in map.encode(spec, Some(v)).into_iter().enumerate() {
                registers[usize::from(spec.address) + i] = w;
            }
        }
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let shared = script.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone(), registers.clone()));
            }
        });
        FakeDevice { port, script }
    }

    /// A well-behaved device serving a steady operating point.
    pub async fn steady() -> FakeDevice {
        Self::start(vec![], STEADY).await
    }

    /// Answers still scripted (0 once every scripted answer has been given).
    pub fn remaining(&self) -> usize {
        self.script.lock().unwrap().len()
    }
}

async fn serve(mut stream: TcpStream, script: Arc<Mutex<VecDeque<Answer>>>, registers: Vec<u16>) {
    let mut header = [0u8; 7];
    loop {
        if stream.read_exact(&mut header).await.is_err() {
            return;
        }
        let len = usize::from(u16::from_be_bytes([header[4], header[5]]));
        let mut pdu = vec![0u8; len.saturating_sub(1)];
        if stream.read_exact(&mut pdu).await.is_err() {
            return;
        }
        let (tid, unit, function) = ([header[0], header[1]], header[6], pdu[0]);
        let start = usize::from(u16::from_be_bytes([pdu[1], pdu[2]]));
        let count = usize::from(u16::from_be_bytes([pdu[3], pdu[4]]));
        let answer = script.lock().unwrap().pop_front().unwrap_or(Answer::Good);
        let frame = |tid: [u8; 2], body: Vec<u8>| {
            let mut f = tid.to_vec();
            f.extend([0, 0]);
            f.extend(u16::try_from(body.len() + 1).unwrap().to_be_bytes());
            f.push(unit);
            f.extend(body);
            f
        };
        let data = |n: usize| -> Vec<u8> {
            let mut body = vec![function, u8::try_from(n * 2).unwrap()];
            for i in start..start + n {
                body.extend(registers.get(i).copied().unwrap_or(0).to_be_bytes());
            }
            body
        };
        let bytes = match answer {
            Answer::Good => frame(tid, data(count)),
            Answer::Exception(code) => frame(tid, vec![function | 0x80, code]),
            Answer::Garbled => vec![tid[0], tid[1], 0x13, 0x37, 0x00, 0x03, unit, 0xFF, 0xFF],
            Answer::Short => frame(tid, data(count / 2)),
            Answer::WrongTransaction => frame([tid[0] ^ 0x55, tid[1] ^ 0xAA], data(count)),
            Answer::HalfThenSilence => {
                let f = frame(tid, data(count));
                let _ = stream.write_all(&f[..f.len() / 2]).await;
                // Keep the connection open and say nothing more on it.
                let mut sink = Vec::new();
                let _ = stream.read_to_end(&mut sink).await;
                return;
            }
            Answer::Hangup => return,
        };
        if stream.write_all(&bytes).await.is_err() {
            return;
        }
    }
}
