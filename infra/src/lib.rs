//! tally operator library.
