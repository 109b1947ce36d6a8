"""Use cases: each public function is one command's work on a Session. No printing, no exits."""
