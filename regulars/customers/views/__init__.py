"""Pages of the customers domain: thin views that parse, call a service or a selector, and render."""
