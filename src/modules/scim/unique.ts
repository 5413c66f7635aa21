export { isUniqueViolation } from '../../platform/db/unique.js';
