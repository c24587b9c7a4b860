"""Authentication use cases. Each public function is one unit of work and owns its commit."""
