import { loadConfig } from '../config/app-config';
import { createDataSource } from './data-source';

// For the TypeORM CLI: `npm run migration:run` / `migration:revert` against DATABASE_URL.
const config = loadConfig();
if (!config.databaseUrl) throw new Error('DATABASE_URL must be set for the migration CLI');
export default createDataSource(config.databaseUrl, 2);
