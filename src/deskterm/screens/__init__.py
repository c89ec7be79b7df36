"""Console screens (Textual): thin; they call the desk from thread workers."""
