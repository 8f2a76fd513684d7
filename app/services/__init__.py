"""Services: business logic. No request, no g, no blueprints; inputs in, results out."""
