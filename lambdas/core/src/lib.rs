//! tally's domain library.
