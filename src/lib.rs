pub mod clock;
pub mod scenario;
pub mod tls;
