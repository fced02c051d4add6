module.exports = {
  displayName: 'controller',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/apps/controller',
  // Prisma's schema engine (WebAssembly) keeps a timer for seconds after its work.
  forceExit: true,
};
