import { afterAll } from 'vitest';
import { removeTempDirs } from '../helpers/temp-dir.js';

// Runs after the test file's own afterAll hooks (servers closed, databases released).
afterAll(removeTempDirs);
