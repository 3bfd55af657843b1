-- Tells every trueyaw process when a turbine's models change (a training registered a model, an
-- operator activated or rolled back a version), so the in-memory model caches of the API and
-- SCADA server swap to the new active model without polling the database. The payload is the
-- turbine id; listeners reload that turbine's active model.
CREATE FUNCTION trueyaw_notify_model_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('trueyaw_models', NEW.turbine_id::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER models_notify
    AFTER INSERT OR UPDATE ON models
    FOR EACH ROW EXECUTE FUNCTION trueyaw_notify_model_change();
