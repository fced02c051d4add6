export { runAction, type ActionContext } from './run-action';
export { answerAction, registerActionHandlers } from './register';
export { serviceState } from '../post-steps/service-backend';
