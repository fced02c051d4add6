const nxPreset = require('@nx/jest/preset').default;
const path = require('path');

module.exports = { ...nxPreset, reporters: ['default', path.join(__dirname, 'tools', 'jest-count-reporter.js')] };
