-- 0002: the configurable vocabularies, seeded from the domain: the risk
-- types of the civil-protection code (D.Lgs. 1/2018, art. 16), the service
-- topics an emergency adds, the outcomes an operator records, and the
-- seed's caller types. Admins may add, relabel or deactivate rows; codes
-- are stable because reports and exports use them.

INSERT INTO categories (code, kind, label_it, label_en, sort) VALUES
    ('sismico', 'risk', 'Rischio sismico (terremoto)', 'Seismic risk (earthquake)', 10),
    ('vulcanico', 'risk', 'Rischio vulcanico', 'Volcanic risk', 20),
    ('maremoto', 'risk', 'Maremoto', 'Tsunami', 30),
    ('idraulico', 'risk', 'Rischio idraulico (alluvione, esondazione)', 'Flood risk (flooding, river overflow)', 40),
    ('idrogeologico', 'risk', 'Rischio idrogeologico (frana)', 'Landslide risk', 50),
    ('meteo-avverso', 'risk', 'Fenomeni meteorologici avversi', 'Severe weather', 60),
    ('deficit-idrico', 'risk', 'Deficit idrico (siccità)', 'Water shortage (drought)', 70),
    ('incendi-boschivi', 'risk', 'Incendi boschivi', 'Wildfires', 80),
    ('chimico', 'risk', 'Rischio chimico', 'Chemical risk', 90),
    ('nucleare', 'risk', 'Rischio nucleare', 'Nuclear risk', 100),
    ('radiologico', 'risk', 'Rischio radiologico', 'Radiological risk', 110),
    ('tecnologico', 'risk', 'Rischio tecnologico', 'Technological risk', 120),
    ('industriale', 'risk', 'Rischio industriale', 'Industrial risk', 130),
    ('trasporti', 'risk', 'Rischio da trasporti', 'Transport risk', 140),
    ('ambientale', 'risk', 'Rischio ambientale', 'Environmental risk', 150),
    ('igienico-sanitario', 'risk', 'Rischio igienico-sanitario', 'Public-health risk', 160),
    ('oggetti-spaziali', 'risk', 'Rientro di oggetti spaziali', 'Re-entry of space objects', 170),
    ('soccorso', 'service', 'Richiesta di soccorso', 'Rescue request', 200),
    ('disalimentazione', 'service', 'Disalimentazione elettrica', 'Power outage', 210),
    ('acqua', 'service', 'Approvvigionamento idrico', 'Water supply', 220),
    ('viabilita', 'service', 'Strade chiuse e viabilità', 'Road closures and traffic', 230),
    ('assistenza', 'service', 'Accoglienza e assistenza alla popolazione', 'Shelter and assistance to the population', 240),
    ('volontariato', 'service', 'Offerte di volontariato', 'Volunteering offers', 250),
    ('donazioni', 'service', 'Donazioni', 'Donations', 260),
    ('dispersi', 'service', 'Persone disperse', 'Missing persons', 270),
    ('competenze', 'service', 'Competenze del Dipartimento e degli enti', 'Competences of the Department and authorities', 280),
    ('campagne', 'service', 'Campagne informative (es. Io non rischio)', 'Information campaigns (e.g. Io non rischio)', 290),
    ('autoprotezione', 'service', 'Misure di autoprotezione', 'Self-protection measures', 300),
    ('informazioni', 'service', 'Informazioni generali', 'General information', 310),
    ('altro', 'service', 'Altro', 'Other', 999);

INSERT INTO outcomes (code, label_it, label_en, sort) VALUES
    ('informazione-fornita', 'Informazione fornita', 'Information given', 10),
    ('segnalazione-registrata', 'Segnalazione registrata', 'Report recorded', 20),
    ('inoltrata-sala-operativa', 'Inoltrata alla Sala Operativa', 'Forwarded to the operations room', 30),
    ('indirizzato-112', 'Indirizzato al 112', 'Referred to 112', 40),
    ('indirizzato-comune', 'Indirizzato al Comune', 'Referred to the Comune', 50),
    ('indirizzato-prefettura', 'Indirizzato alla Prefettura', 'Referred to the Prefettura', 60),
    ('indirizzato-regione', 'Indirizzato alla Regione', 'Referred to the Region', 70),
    ('indirizzato-vvf', 'Indirizzato ai Vigili del Fuoco', 'Referred to the Fire Brigade', 80),
    ('indirizzato-altro-ente', 'Indirizzato ad altro ente', 'Referred to another authority', 90),
    ('richiamata', 'Da richiamare', 'Call back', 100),
    ('risposta-email', 'Risposta inviata per email', 'Answered by email', 110),
    ('non-pertinente', 'Non pertinente', 'Not relevant', 120),
    ('chiamata-muta', 'Chiamata muta o interrotta', 'Silent or dropped call', 130),
    ('molesta', 'Chiamata molesta o scherzo', 'Nuisance or hoax call', 140);

INSERT INTO caller_types (code, label_it, label_en, sort) VALUES
    ('cittadino', 'Cittadino', 'Citizen', 10),
    ('amministrazione-centrale', 'Amministrazione centrale', 'Central administration', 20),
    ('ente-locale', 'Ente locale', 'Local authority', 30),
    ('pubblica-sicurezza', 'Pubblica sicurezza', 'Public safety', 40),
    ('emergenza-sanitaria', 'Emergenza sanitaria', 'Emergency health services', 50),
    ('operatore-mobilita', 'Operatore di mobilità', 'Mobility operator', 60),
    ('volontariato', 'Associazione di volontariato', 'Volunteer association', 70);

-- The default site: the national contact center in L'Aquila.
INSERT INTO sites (code, name, timezone, calendar, created_at)
    VALUES ('aq', 'Contact Center DPC - L''Aquila', 'Europe/Rome', '{}', CURRENT_TIMESTAMP);
