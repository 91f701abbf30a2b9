-- 0013: the rescue request as structured data. What the agent records on
-- the desk when someone's safety is in danger, one row per case (saving
-- again replaces it): how many people, who among them is vulnerable, the
-- number to call back, the hazard, and the radius of the pin. The place in
-- words and the pin itself are the case's own address, lat and lon, so
-- maps, reports and exports place the case as they place any other.
CREATE TABLE rescue_details (
    case_id BIGINT PRIMARY KEY REFERENCES cases(id),
    people INTEGER NOT NULL DEFAULT 0 CHECK (people >= 0),
    children BOOLEAN NOT NULL DEFAULT FALSE,
    elderly BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    medical BOOLEAN NOT NULL DEFAULT FALSE,
    callback TEXT NOT NULL DEFAULT '',
    hazard TEXT NOT NULL DEFAULT '' CHECK (hazard IN ('', 'water', 'collapse', 'fire', 'landslide', 'gas', 'isolated', 'other')),
    hazard_note TEXT NOT NULL DEFAULT '',
    radius_m INTEGER NOT NULL DEFAULT 0 CHECK (radius_m >= 0),
    updated_at {{time}} NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX rescue_details_hazard ON rescue_details (hazard, updated_at);
