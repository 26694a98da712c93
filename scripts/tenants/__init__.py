"""The `tenants` verb: validate, list, schema, new and offboard the tenant files of a stack."""
