"""Built models: kinds (how vectors are made), build (fit every part), store (the
directory on disk: manifest, checksums, atomic swap, load), clusters."""
