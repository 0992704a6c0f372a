//! The simulation's clock, as rustls sees it.
//!
//! rustls asks its `TimeProvider` for "now" when it checks a certificate's
//! validity period (and when it ages session tickets). The default provider
//! reads the wall clock, which would make the outcome of a run depend on the
//! day it is run. [`VirtualTime`] answers with the run's virtual time instead,
//! so a certificate expires when the *simulated* calendar passes its end date.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::UnixTime;
use rustls::time_provider::TimeProvider;

/// A rustls [`TimeProvider`] backed by the simulation's clock.
#[derive(Clone)]
pub struct VirtualTime {
    now_unix: Arc<dyn Fn() -> u64 + Send + Sync>,
}

impl VirtualTime {
    /// `now_unix` returns the current virtual time in seconds since the Unix
    /// epoch (the scenario's start date plus elapsed virtual time).
    pub fn new(now_unix: Arc<dyn Fn() -> u64 + Send + Sync>) -> Self {
        VirtualTime { now_unix }
    }
}

impl TimeProvider for VirtualTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(Duration::from_secs((self
            .now_unix)(
        ))))
    }
}

impl fmt::Debug for VirtualTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualTime")
            .field("now_unix", &(self.now_unix)())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_closures_time() {
        let time = VirtualTime::new(Arc::new(|| 1_700_000_000));
        let now = time.current_time().unwrap();
        assert_eq!(now.as_secs(), 1_700_000_000);
        assert_eq!(format!("{time:?}"), "VirtualTime { now_unix: 1700000000 }");
    }
}
